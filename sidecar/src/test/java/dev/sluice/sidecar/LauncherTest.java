package dev.sluice.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The jar's launcher, src/main/dist/sluice-sidecar, run for real with a {@code java} that prints its arguments. */
class LauncherTest {
    private static final Path LAUNCHER = Path.of("src/main/dist/sluice-sidecar");
    private static final Pattern POM_FLAG = Pattern.compile("<jvmFlag>([^<]+)</jvmFlag>");
    private static final Pattern SCRIPT_FLAG = Pattern.compile("^  (-\\S+) \\\\$", Pattern.MULTILINE);

    @TempDir
    Path directory;

    @Test
    void theLauncherAppliesTheImagesFlagsInTheSameOrder() throws IOException {
        String pom = Files.readString(Path.of("pom.xml"));
        List<String> imageFlags = all(POM_FLAG.matcher(pom));
        List<String> launcherFlags = all(SCRIPT_FLAG.matcher(Files.readString(LAUNCHER)));

        assertThat(imageFlags).contains("-XX:+UseSerialGC", "-XX:MaxDirectMemorySize=16m");
        // The image also sets its temporary directory, which a host has already.
        assertThat(launcherFlags).isEqualTo(imageFlags.stream().filter(flag -> !flag.startsWith("-Djava.io.tmpdir")).toList());
    }

    @Test
    void theJarsFlagsComeAfterTheJarAndJavaOptsAfterTheDefaults() throws Exception {
        Path jar = Files.writeString(directory.resolve("sluice-sidecar.jar"), "");

        List<String> args = launch(Map.of("JAVA_OPTS", "-XX:MaxRAMPercentage=50 -Dx=y"), "--config", "a b.yaml", "--port", "0");

        int opts = args.indexOf("-XX:MaxRAMPercentage=50");
        assertThat(args.indexOf("-XX:MaxRAMPercentage=40")).isBetween(0, opts);
        assertThat(args.subList(opts, args.size())).containsExactly("-XX:MaxRAMPercentage=50", "-Dx=y", "-jar", jar.toString(),
                "--config", "a b.yaml", "--port", "0");
        assertThat(args).doesNotContain("-XX:SharedArchiveFile=" + directory.resolve("sluice-sidecar.jsa"));
    }

    @Test
    void theArchiveNextToTheJarIsUsedUnlessATrainingRunWritesIt() throws Exception {
        Files.writeString(directory.resolve("sluice-sidecar.jar"), "");
        Path archive = Files.writeString(directory.resolve("sluice-sidecar.jsa"), "");

        assertThat(launch(Map.of())).contains("-XX:SharedArchiveFile=" + archive);
        assertThat(launch(Map.of("JAVA_OPTS", "-XX:ArchiveClassesAtExit=" + archive))).doesNotContain("-XX:SharedArchiveFile=" + archive);
    }

    @Test
    void aMissingJarIsAnErrorNamingIt() throws Exception {
        Process process = start(Map.of());
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();

        assertThat(process.exitValue()).isEqualTo(64);
        assertThat(new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8))
                .contains("no jar at " + directory.resolve("sluice-sidecar.jar"));
    }

    /** The arguments {@code java} gets from the launcher copied into {@link #directory}. */
    private List<String> launch(Map<String, String> env, String... args) throws Exception {
        Process process = start(env, args);
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.exitValue()).as(err).isZero();
        return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
    }

    private Process start(Map<String, String> env, String... args) throws IOException {
        Path launcher = Files.copy(LAUNCHER, directory.resolve("sluice-sidecar"), StandardCopyOption.REPLACE_EXISTING);
        Path java = directory.resolve("jdk/bin/java");
        Files.createDirectories(java.getParent());
        Files.writeString(java, "#!/bin/sh\nprintf '%s\\n' \"$@\"\n");
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        List<String> command = new ArrayList<>(List.of("sh", launcher.toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().remove("JAVA_OPTS");
        builder.environment().remove("SLUICE_SIDECAR_JAR");
        builder.environment().put("JAVA_HOME", directory.resolve("jdk").toString());
        builder.environment().putAll(env);
        return builder.start();
    }

    private static List<String> all(Matcher matcher) {
        List<String> found = new ArrayList<>();
        while (matcher.find()) {
            found.add(matcher.group(1));
        }
        return found;
    }
}
