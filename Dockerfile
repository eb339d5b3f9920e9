# syntax=docker/dockerfile:1
# Multi-stage: `build` compiles (and, with its dev dependencies and tests, runs the e2e suite for
# the compose `e2e` profile); `runtime` carries only production dependencies and dist/.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY nest-cli.json tsconfig.json tsconfig.build.json jest.config.js eslint.config.mjs .prettierrc.json .prettierignore ./
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
# main.js applies pending migrations (under an advisory lock) and then serves; the compose
# `worker` service runs dist/apps/worker/src/main.js from the same image.
CMD ["node", "--max-old-space-size=128", "-r", "./scripts/register-paths.js", "dist/apps/api/src/main.js"]
