# syntax=docker/dockerfile:1
# Multi-stage: `build` compiles (and, with its dev dependencies and tests, runs the e2e suite for
# the compose `e2e` profile); `runtime` carries only production dependencies and dist/.
# scripts/ci/dockerfile-file-set.sh replays the build stage's COPY and RUN lines outside Docker and
# runs the e2e suite there, so a file the suite needs and this stage leaves out fails CI.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY nest-cli.json tsconfig.json tsconfig.build.json tsconfig.jest.json jest.config.js eslint.config.mjs .prettierrc.json .prettierignore ./
# The committed API description: the e2e suite checks every answer against it.
COPY openapi.json ./
COPY apps ./apps
COPY libs ./libs
COPY migrations ./migrations
COPY policies ./policies
COPY scripts ./scripts
COPY clients ./clients
COPY examples ./examples
# The process harness the e2e suite shares with the bench and the fault campaign (tools/tsconfig.json builds them).
COPY tools ./tools
COPY test ./test
RUN npm run build

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# The embedded PostgreSQL binaries are an optional dependency used only when DATABASE_URL is
# unset; in a container DATABASE_URL is always set, so they are left out.
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY tsconfig.json ./
COPY policies ./policies
COPY scripts/register-paths.js ./scripts/register-paths.js
COPY --from=build /app/dist ./dist
USER node
EXPOSE 3000
# The API's readiness (the database answers); the compose `worker` service, which runs
# dist/apps/worker/src/main.js from this image, replaces it with its own (WORKER_METRICS_PORT).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# main.js applies pending migrations (under an advisory lock) and then serves.
CMD ["node", "--max-old-space-size=128", "-r", "./scripts/register-paths.js", "dist/apps/api/src/main.js"]
