/**
 * Every {@code samtune} command: each parses its options into the library's config records, calls
 * one library method and turns its errors into one line and an exit code (0 done, 1 bad data or
 * checkpoint, 2 bad options). Tests call {@code run(out, err, args...)} directly.
 */
package io.samtune.cli.command;
