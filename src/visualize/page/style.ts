/** Styles of the graph viewer (side panel, search highlights); shared by the standalone page and web apps. */
export const VIEWER_CSS = `
.mnv3-canvas { overflow: hidden; cursor: grab; touch-action: none; background: #fff; }
.mnv3-canvas:active { cursor: grabbing; }
.mnv3-canvas svg { width: 100%; height: 100%; display: block; user-select: none; }
.mnv3-canvas g.node { cursor: pointer; }
.mnv3-canvas g.node:hover path, .mnv3-canvas g.node:hover polygon, .mnv3-canvas g.node:hover ellipse { stroke-width: 2.5; }
.mnv3-canvas g.node.mnv3-selected path, .mnv3-canvas g.node.mnv3-selected polygon,
.mnv3-canvas g.node.mnv3-selected ellipse { stroke: #d6336c; stroke-width: 4; }
.mnv3-canvas svg.mnv3-searching g.node:not(.mnv3-match), .mnv3-canvas svg.mnv3-searching g.edge { opacity: 0.25; }
.mnv3-details { font: 13px/1.45 system-ui, sans-serif; color: #212529; }
.mnv3-details h2 { font-size: 16px; margin: 0 0 4px; word-break: break-all; }
.mnv3-details h3 { font-size: 13px; margin: 14px 0 4px; color: #495057; text-transform: uppercase; letter-spacing: .04em; }
.mnv3-details .mnv3-subtitle { margin: 0 0 8px; color: #495057; }
.mnv3-details .mnv3-muted { color: #868e96; margin: 0; }
.mnv3-details table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
.mnv3-details td, .mnv3-details th { padding: 2px 6px 2px 0; text-align: left; vertical-align: top; border-bottom: 1px solid #f1f3f5; word-break: break-word; }
.mnv3-details th { color: #868e96; font-weight: 600; }
.mnv3-details .mnv3-facts td:first-child, .mnv3-details .mnv3-config td:first-child { color: #868e96; white-space: nowrap; width: 1%; }
.mnv3-details .mnv3-weights td:nth-child(n+2), .mnv3-details .mnv3-layers td:nth-child(n+3) { white-space: nowrap; }
`;
