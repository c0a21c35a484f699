/**
 * The names of a model's outputs, from its card: the card's labels when they fit, else ImageNet's
 * for a 1000-class model (Keras's and torchvision's published weights), else "class i". The one
 * rule for the CLI, the API and the page. No Node imports.
 */
import type { ModelCard } from '../architecture/card.js';
import { IMAGENET_CLASSES } from './imagenet-classes.js';

export function classNames(card: Pick<ModelCard, 'labels'> | undefined, classes: number): readonly string[] {
  if (card?.labels && card.labels.length === classes) return card.labels;
  if (classes === IMAGENET_CLASSES.length) return IMAGENET_CLASSES;
  return Array.from({ length: classes }, (_, i) => `class ${i}`);
}
