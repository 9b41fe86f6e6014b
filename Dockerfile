# syntax=docker/dockerfile:1
# Production images of Passage (docs/OPERATIONS.md, "Docker"). Two stages:
#   build    full install (npm ci), `npm run build`: every package to dist/, the dashboard to dashboards/dist
#   runtime  package.json files + dist/ only, `npm ci --omit=dev` for the CLI's production closure (no TypeScript,
#            no tsx, no TF.js, no Vite, no vitest, no simulator); roles and the API run the compiled CLI.
# Targets: `worker` (one image for every worker role; compose.yaml picks the role) and `api` (API + dashboard).
# Not built in this repository's CI (no docker there): test/packages.test.ts checks what it refers to.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# onnxruntime-node's install script would download CUDA libraries: ONNX runs on the CPU.
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY . .
RUN npm ci --no-audit --no-fund && npm run build
# The runtime's files: every workspace's package.json (npm ci needs them all), the compiled dist/ folders, the
# dashboard build, the migrations, the registry schema, the committed models, the communes outline, the CLI bin.
RUN mkdir -p /stage && \
    node -e 'for (const w of require("./package.json").workspaces) console.log(w)' | while read -r w; do \
      mkdir -p "/stage/$w" && cp "$w/package.json" "/stage/$w/" && \
      if [ -d "$w/dist" ]; then cp -r "$w/dist" "/stage/$w/"; fi; \
    done && \
    cp package.json package-lock.json .npmrc /stage/ && \
    mkdir -p /stage/infra && cp -r infra/clickhouse infra/registry /stage/infra/ && \
    cp models/mode-classifier/model.onnx models/mode-classifier/labels.json models/mode-classifier/gate.json \
      /stage/models/mode-classifier/ && \
    cp -r services/footfall/model /stage/services/footfall/ && \
    cp -r services/store/geo /stage/services/store/ && \
    cp -r services/cli/bin /stage/services/cli/

FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
ENV NODE_ENV=production \
    ONNXRUNTIME_NODE_INSTALL=skip \
    NODE_OPTIONS=--conditions=passage-dist \
    PASSAGE_DATA_DIR=/data
COPY --from=build /stage/ ./
RUN npm ci --omit=dev --no-audit --no-fund --workspace @passage/cli --include-workspace-root=false && \
    npm cache clean --force
USER node
ENTRYPOINT ["node", "services/cli/dist/main.js"]

FROM runtime AS worker
CMD ["worker", "--help"]

FROM runtime AS api
COPY --from=build /app/dashboards/dist ./dashboards/dist
EXPOSE 8080
CMD ["api", "--host", "0.0.0.0", "--port", "8080"]
