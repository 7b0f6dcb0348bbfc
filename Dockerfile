# syntax=docker/dockerfile:1
#
# One image for both msgpipe processes and the backup tool:
#   docker run IMAGE                                   # the API (default CMD)
#   docker run IMAGE node apps/worker/dist/main.js     # a worker
#   docker run IMAGE node tools/backup/dist/backup.js --out FILE   # or restore.js FILE
# Configured only by environment variables (see packages/shared/src/config.ts). The image sets
# NODE_ENV=production, so the API needs ADMIN_TOKEN to start.
#
# Node 26 (LTS "Lithium": active LTS from 2026-10-28, security fixes until 2029-04-30) on
# Debian 13 trixie, the Debian stable release: Node 20 reached end of life on 2026-04-30 and
# Debian 12 bookworm left regular security support on 2026-06-10. Every stage starts from this
# one image (the later stages build on `manifests`), so the build and the runtime agree on Node
# and npm. The code also keeps running on Node 20.12+ (package.json "engines"), which local
# machines and CI may still have.

# ---- manifests: the lockfile and every workspace's package.json ----------------------------
# `npm ci` refuses to run unless package-lock.json matches the root package.json AND every
# workspace it names (apps/*, packages/*, tools/*, e2e, bench), so all of them are copied, in place.
# Adding a workspace means adding its line here (e2e/src/docker/dockerfile.test.ts checks it).
FROM node:26-trixie-slim AS manifests
ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/shared/package.json packages/shared/
COPY packages/tracing/package.json packages/tracing/
COPY apps/api/package.json apps/api/
COPY apps/worker/package.json apps/worker/
COPY tools/backup/package.json tools/backup/
COPY tools/docs-check/package.json tools/docs-check/
COPY tools/launcher/package.json tools/launcher/
COPY tools/redis-server/package.json tools/redis-server/
COPY tools/testkit/package.json tools/testkit/
COPY e2e/package.json e2e/
COPY bench/package.json bench/

# ---- build: all dependencies, then `turbo run build` (every workspace's dist/) -------------
FROM manifests AS build
ENV TURBO_TELEMETRY_DISABLED=1 \
    DO_NOT_TRACK=1
# The root package.json's "allowScripts" declines msgpackr-extract's install script here too
# (docs/development.md: Install scripts): neither npm ci prints an install-scripts warning.
RUN npm ci
COPY . .
RUN npm run build

# ---- runtime: production dependencies and the compiled apps only ---------------------------
FROM manifests AS runtime
ENV NODE_ENV=production
# Production dependencies only.
RUN npm ci --omit=dev \
    && npm cache clean --force
# dist/ from the build; the Lua scripts are read at run time from ../lua next to dist/.
COPY --from=build /app/packages/shared/dist packages/shared/dist
COPY packages/shared/lua packages/shared/lua
COPY --from=build /app/packages/tracing/dist packages/tracing/dist
COPY --from=build /app/apps/api/dist apps/api/dist
COPY apps/api/lua apps/api/lua
COPY --from=build /app/apps/worker/dist apps/worker/dist
COPY apps/worker/lua apps/worker/lua
# The backup tool (docs/operations.md: Backup and restore); the npm ci above installed its
# dependencies.
COPY --from=build /app/tools/backup/dist tools/backup/dist
# Files stay owned by root (read-only for the app); the processes run unprivileged.
USER node
EXPOSE 3000
# No HEALTHCHECK here: the API and the worker answer on different ports (a worker only when
# WORKER_METRICS_PORT is set). The compose file gives each service its own, on /healthz.
CMD ["node", "apps/api/dist/main.js"]
