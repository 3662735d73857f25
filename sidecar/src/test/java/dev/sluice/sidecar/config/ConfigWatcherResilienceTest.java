package dev.sluice.sidecar.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The config watcher under what an overloaded process meets: no file descriptor left, and errors nothing else throws. */
class ConfigWatcherResilienceTest {
    @TempDir
    Path directory;

    @Test
    void aPollWithoutAFileDescriptorLeftIsSkippedNotARefusal() throws Exception {
        Path file = directory.resolve("sidecar.yaml");
        Files.writeString(file, "generation: 1\npolicies: []\n");
        RecordingEnforcer enforcer = new RecordingEnforcer(0);
        try (ConfigWatcher watcher = new ConfigWatcher(file, false, null, new SimpleMeterRegistry(), Clock.systemUTC(), enforcer)) {
            watcher.loadInitial();
            Files.writeString(file, "generation: 2\npolicies: []\n");

            IOException exhausted;
            boolean loaded;
            List<FileChannel> held = new ArrayList<>();
            try {
                exhausted = exhaustDescriptors(held);
                loaded = watcher.reload();
            } finally {
                for (FileChannel channel : held) {
                    channel.close();
                }
            }

            assertThat(ConfigWatcher.outOfDescriptors(exhausted)).as("%s", exhausted).isTrue();
            assertThat(loaded).isTrue();
            assertThat(watcher.lastFailure()).as("nothing was refused").isNull();
            assertThat(watcher.loaded().generation()).isEqualTo(1);

            assertThat(watcher.reload()).as("the next look, with descriptors again").isTrue();
            assertThat(watcher.loaded().generation()).isEqualTo(2);
        }
    }

    @Test
    void thePollingGoesOnAfterAnErrorAndLoadsTheSameDocumentAgain() throws Exception {
        Path file = directory.resolve("sidecar.yaml");
        Files.writeString(file, "generation: 1\npolicies: []\n");
        RecordingEnforcer enforcer = new RecordingEnforcer(1);
        try (ConfigWatcher watcher = new ConfigWatcher(file, false, null, new SimpleMeterRegistry(), Clock.systemUTC(), enforcer)) {
            watcher.loadInitial();
            watcher.watch(Duration.ofMillis(20));
            Files.writeString(file, "generation: 2\npolicies: []\n");

            await().atMost(Duration.ofSeconds(30)).until(() -> watcher.loaded().generation() == 2);
            assertThat(enforcer.thrown.get()).as("the first attempt at generation 2 threw").isEqualTo(1);
        }
    }

    /** Opens /dev/null until the process has no descriptor left; returns the error that says so. */
    private static IOException exhaustDescriptors(List<FileChannel> held) {
        Path devNull = Path.of("/dev/null");
        while (true) {
            try {
                held.add(FileChannel.open(devNull));
            } catch (IOException e) {
                return e;
            }
        }
    }

    /** Puts every configuration in force, except that the first {@code failures} after the initial one throw an error. */
    private static final class RecordingEnforcer implements Enforcer {
        final AtomicReference<LoadedConfig> loaded = new AtomicReference<>();
        final AtomicInteger thrown = new AtomicInteger();
        private final int failures;

        RecordingEnforcer(int failures) {
            this.failures = failures;
        }

        @Override
        public void enforce(LoadedConfig config) {
            if (loaded.get() != null && thrown.get() < failures) {
                thrown.incrementAndGet();
                // What a class loaded for the first time throws when its jar cannot be opened.
                throw new NoClassDefFoundError("simulated: Too many open files");
            }
            loaded.set(config);
        }

        @Override
        public LoadedConfig loaded() {
            return loaded.get();
        }
    }
}
