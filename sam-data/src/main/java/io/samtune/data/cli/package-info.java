/**
 * Command-line front ends of the data module: {@code samtune dataset-info} and the split options
 * shared by {@code train} and {@code test-accuracy}. Thin: each builds library values from
 * {@code io.samtune.data} and calls them.
 */
package io.samtune.data.cli;
