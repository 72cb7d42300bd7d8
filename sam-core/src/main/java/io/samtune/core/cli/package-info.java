/**
 * Command-line front ends of the model module: {@code samtune predict} and the options shared by
 * every command that loads a model ({@link io.samtune.core.cli.ModelOptions}).
 */
package io.samtune.core.cli;
