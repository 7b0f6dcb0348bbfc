/** msgpipe's image: the Dockerfile that compose builds, followed COPY by COPY. */
import { posix } from 'node:path';
import { dockerfilePath } from './compose-file.js';
import { parseDockerfile, repoPathIn } from './dockerfile.js';
import { readRepoFile } from './repo-files.js';

export const dockerfile = parseDockerfile(readRepoFile(dockerfilePath()));

/** The repository file that `node <script>` runs in the final image (cwd = its WORKDIR). */
export const scriptInImage = (script: string): string | undefined =>
  repoPathIn(dockerfile.final, posix.resolve(dockerfile.final.workdir, script));
