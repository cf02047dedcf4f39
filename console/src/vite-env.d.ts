// Vite serves and bundles the console: its client types declare what a bundled import of a
// stylesheet or an asset is (main.tsx imports style.css), so the type check knows it too.
/// <reference types="vite/client" />
