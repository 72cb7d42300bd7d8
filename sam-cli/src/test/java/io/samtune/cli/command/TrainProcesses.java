package io.samtune.cli.command;

import io.samtune.core.io.JavaProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The {@code samtune train} processes a test starts, and the keystore password that they and the
 * commands run in the test's own JVM read: set when made; on {@link #close} the password lookup is
 * put back and every process is stopped.
 */
final class TrainProcesses implements AutoCloseable {

    private final Path logs;
    private final String password;
    private final List<Process> children = new ArrayList<>();
    private final Function<String, String> environment = CertsCommand.environment;

    /**
     * @param logs the folder of the processes' logs
     * @param password the keystore password in {@link CertsCommand#PASSWORD_VARIABLE}
     */
    TrainProcesses(Path logs, String password) {
        this.logs = logs;
        this.password = password;
        CertsCommand.environment = v -> v.equals(CertsCommand.PASSWORD_VARIABLE) ? password : System.getenv(v);
    }

    /** Starts {@code TrainCommand} with these arguments and extra environment, writing to {@code log}. */
    Process start(String log, List<String> args, Map<String, String> env) throws IOException {
        List<String> cmd = new ArrayList<>(JavaProcess.command(TrainCommand.class));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(logs.resolve(log).toFile());
        pb.environment().put(CertsCommand.PASSWORD_VARIABLE, password);
        pb.environment().putAll(env);
        Process p = pb.start();
        children.add(p);
        return p;
    }

    /** What the process writing {@code log} wrote so far; empty before it started. */
    String log(String log) throws IOException {
        Path f = logs.resolve(log);
        return Files.exists(f) ? Files.readString(f) : "";
    }

    @Override
    public void close() throws InterruptedException {
        CertsCommand.environment = environment;
        for (Process p : children) {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
    }
}
