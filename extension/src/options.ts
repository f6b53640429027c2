// The popup and options page: where the extension is active, and a short about.
export {};
