# syntax=docker/dockerfile:1
# Multi-stage: the build stage installs everything and builds; the runtime stage holds the built tree and the
# production dependencies only. Both steps are scripts/production-install.sh, the script the test suite runs
# (test/e2e/production-install.e2e.test.ts), so what the image does is what CI checks.

FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY . .
RUN scripts/production-install.sh build \
 && scripts/production-install.sh install /app

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    PORT=4000 \
    DATA_DIR=/data
WORKDIR /app
COPY --from=build --chown=node:node /app /app
# The embedded database (when there is no DATABASE_URL) and the data-folder lock live in DATA_DIR.
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE 4000
# /readyz is 200 once the database answers and the migrations are applied; node 20 has fetch built in.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Exec form: node is PID 1 and gets SIGTERM itself; it handles it (graceful stop within 10 s), so no init is needed.
# The default 10 s grace of `docker stop` matches that.
CMD ["node", "dist/src/main.js"]
