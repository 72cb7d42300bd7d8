/**
 * The {@code samtune} command line: {@link io.samtune.cli.Samtune} gathers every module's command
 * under one name and chooses the logging binding. The commands themselves live beside the library
 * code they call ({@code io.samtune.data.cli}, ...).
 */
package io.samtune.cli;
