/**
 * The flavours, as a table: their names (options, CLI choices, weights inference and the page
 * read them from here) and their width rules. Their layers are in flavor-keras.ts /
 * flavor-blog.ts (the builder's table is typed by these names). No TF.js here.
 */
import { blogWidths } from './widths-blog.js';
import { kerasWidths } from './widths-keras.js';
import type { WidthRules } from './widths.js';

export const FLAVOR_WIDTHS = { keras: kerasWidths, blog: blogWidths } as const satisfies Record<string, WidthRules>;

export type Flavor = keyof typeof FLAVOR_WIDTHS;

/** Every flavour name, the default first. */
export const FLAVOR_NAMES = Object.keys(FLAVOR_WIDTHS) as Flavor[];
