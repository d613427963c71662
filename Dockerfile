# statsig-hack, for `rollout watch` in a cluster (deploy/k8s/). Build: docker build -t statsig-hack:local .
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json ./
COPY src ./src
COPY bin ./bin
COPY templates ./templates
RUN npm run build

FROM node:20-bookworm-slim
ENV NODE_ENV=production CI=true
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` builds from source, which the build stage already did.
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY templates ./templates
USER node
ENTRYPOINT ["node", "bin/statsig-hack.js"]
CMD ["rollout", "watch"]
