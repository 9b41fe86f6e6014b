import { defineConfig } from 'vite';

// The dashboard is served by the API at / (dashboards/dist); in `vite dev` the API runs on :8080.
export default defineConfig({
  base: './',
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 2500, sourcemap: false },
  server: { proxy: { '/api': 'http://127.0.0.1:8080', '/healthz': 'http://127.0.0.1:8080' } },
});
