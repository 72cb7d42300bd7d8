/**
 * The {@code samtune} command line: {@link io.samtune.cli.Samtune} gathers every command under one
 * name and chooses the logging binding; the commands are in {@link io.samtune.cli.command}, the
 * option groups and typed converters they share in {@link io.samtune.cli.option}. The library
 * modules know nothing of picocli.
 */
package io.samtune.cli;
