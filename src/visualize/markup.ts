/** Escaping text for HTML, SVG and Graphviz HTML-like labels (browser-safe, no dependencies). */
export const escapeMarkup = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
