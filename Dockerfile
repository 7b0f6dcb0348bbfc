# syntax=docker/dockerfile:1
#
# One image for both msgpipe processes:
#   docker run IMAGE                                   # the API (default CMD)
#   docker run IMAGE node apps/worker/dist/main.js     # a worker
# Configured only by environment variables (see packages/shared/src/config.ts). The image sets
# NODE_ENV=production, so the API needs ADMIN_TOKEN to start.

# ---- manifests: the lockfile and every workspace's package.json ----------------------------
# `npm ci` refuses to run unless package-lock.json matches the root package.json AND every
# workspace it names (apps/*, packages/*, tools/*, e2e, bench), so all of them are copied, in place.
# Adding a workspace means adding its line here (e2e/src/compose.test.ts checks it).
FROM node:20-bookworm-slim AS manifests
ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/shared/package.json packages/shared/
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
COPY --from=build /app/apps/api/dist apps/api/dist
COPY apps/api/lua apps/api/lua
COPY --from=build /app/apps/worker/dist apps/worker/dist
COPY apps/worker/lua apps/worker/lua
# Files stay owned by root (read-only for the app); the processes run unprivileged.
USER node
EXPOSE 3000
# No HEALTHCHECK here: the same image runs the worker, which serves no HTTP. The compose file
# gives the api service a healthcheck on /healthz.
CMD ["node", "apps/api/dist/main.js"]
