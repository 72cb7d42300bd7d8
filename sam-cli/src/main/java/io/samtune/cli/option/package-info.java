/**
 * Option groups shared by several commands (model, slices, split) and the typed converters of
 * picocli; their defaults are read from the library's config builders, never written again here.
 */
package io.samtune.cli.option;
