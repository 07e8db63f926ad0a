package io.mooncake.engine.memory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a main class of the test classpath in a child JVM to its end, keeping its exit code, stdout and stderr. */
final class Jvm {

    record Result(int exitCode, String stdout, String stderr) {
        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr;
        }
    }

    private Jvm() {
    }

    /** The {@code java} launcher of this JVM. */
    static Path currentJava() {
        return Path.of(System.getProperty("java.home"), "bin", "java");
    }

    /**
     * Runs {@code mainClass} with {@code java} and the JVM options, optionally under a shell prefix
     * (such as {@code ulimit -f 1024 &&}), and waits at most 60 s for it to exit.
     */
    static Result run(Path java, List<String> jvmOptions, String shellPrefix, Class<?> mainClass, String... args)
            throws IOException, InterruptedException {
        List<String> javaCmd = new ArrayList<>();
        javaCmd.add(java.toString());
        javaCmd.add("-Xmx128m");
        javaCmd.addAll(jvmOptions);
        javaCmd.add("-cp");
        javaCmd.add(System.getProperty("java.class.path"));
        javaCmd.add(mainClass.getName());
        javaCmd.addAll(List.of(args));
        List<String> cmd = javaCmd;
        if (shellPrefix != null) {
            StringBuilder line = new StringBuilder(shellPrefix).append(" exec");
            for (String a : javaCmd) {
                line.append(" '").append(a.replace("'", "'\\''")).append('\'');
            }
            cmd = List.of("/bin/sh", "-c", line.toString());
        }
        Path out = Files.createTempFile("mooncake-child", ".out");
        Path err = Files.createTempFile("mooncake-child", ".err");
        try {
            Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new IOException("child " + mainClass.getSimpleName() + " did not exit within 60 s\n"
                        + Files.readString(out, StandardCharsets.UTF_8) + Files.readString(err, StandardCharsets.UTF_8));
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
