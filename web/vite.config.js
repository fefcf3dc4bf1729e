// Builds the UI into dist/ with fixed file names (no content hashes): the
// server embeds dist/index.html, dist/ui/app.js and dist/ui/app.css.
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    modulePreload: { polyfill: false },
    cssCodeSplit: false,
    rollupOptions: {
      output: {
        entryFileNames: 'ui/app.js',
        chunkFileNames: 'ui/[name].js',
        assetFileNames: 'ui/app[extname]',
      },
    },
  },
});
