// Starts the wasm app (a module script, so that the page needs no inline script and the
// Content-Security-Policy can forbid them).
import init from './viewer.js';
await init({ module_or_path: './viewer_bg.wasm' });
