package dev.sluice.sidecar.config;

import dev.sluice.api.config.ConfigLoader;
import dev.sluice.api.config.FieldError;
import dev.sluice.api.config.InvalidConfigException;
import dev.sluice.api.config.SidecarConfig;
import dev.sluice.sidecar.limit.LimiterClock;
import dev.sluice.sidecar.limit.RateLimiter;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the configuration in force in step with its file. The file is polled by content rather than
 * watched for events: a ConfigMap volume is updated by swapping a symlink, which file-change events
 * report unreliably. A changed file is parsed, validated and compiled aside, then swapped in with one
 * atomic write: requests in flight finish on the limits they started with, and rules whose
 * configuration did not change keep their counters. A file that fails is refused whole, the last good
 * configuration stays in force, and the failure is logged once, counted and shown on the admin port.
 */
public final class ConfigWatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ConfigWatcher.class);

    private final Path configFile;
    private final Path podLabelsFile;
    private final MeterRegistry registry;
    private final LimiterClock limiterClock;
    private final Clock clock;
    private final AtomicReference<RateLimiter> limiter;
    private final AtomicReference<LoadedConfig> loaded = new AtomicReference<>();
    private final AtomicReference<ReloadFailure> lastFailure = new AtomicReference<>();
    private final Counter reloadsSucceeded;
    private final Counter reloadsFailed;
    private volatile String lastSeenDigest;
    private volatile Map<String, String> lastSeenLabels;
    private ScheduledExecutorService poller;
    private final List<Consumer<LoadedConfig>> listeners = new CopyOnWriteArrayList<>();

    public ConfigWatcher(Path configFile, Path podLabelsFile, MeterRegistry registry, LimiterClock limiterClock, Clock clock) {
        this(configFile, podLabelsFile, registry, limiterClock, clock, RateLimiter.empty(limiterClock));
    }

    /** {@code initial} is in force until the first load; it hands on what compiled limits share (the Redis stores). */
    public ConfigWatcher(Path configFile, Path podLabelsFile, MeterRegistry registry, LimiterClock limiterClock, Clock clock,
                         RateLimiter initial) {
        this.configFile = configFile;
        this.podLabelsFile = podLabelsFile;
        this.registry = registry;
        this.limiterClock = limiterClock;
        this.clock = clock;
        this.limiter = new AtomicReference<>(initial);
        this.reloadsSucceeded = Counter.builder("sluice_config_reloads").tag("result", "success")
                .description("Configuration loads by result").register(registry);
        this.reloadsFailed = Counter.builder("sluice_config_reloads").tag("result", "failure")
                .description("Configuration loads by result").register(registry);
        Gauge.builder("sluice_config_generation", loaded, ref -> ref.get() == null ? -1 : ref.get().generation())
                .description("Generation of the configuration in force").register(registry);
        Gauge.builder("sluice_config_last_reload_failed", lastFailure, ref -> ref.get() == null ? 0 : 1)
                .description("1 while the newest configuration file is refused and an older one is in force").register(registry);
    }

    /** Loads the file for the first time; an invalid file is an error the caller reports before exiting. */
    public LoadedConfig loadInitial() throws InvalidConfigException {
        if (!reload()) {
            throw new InvalidConfigException(lastFailure.get().errors());
        }
        return loaded.get();
    }

    /** Starts polling the file every {@code interval}. */
    public void watch(Duration interval) {
        poller = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "sluice-config-watcher");
            thread.setDaemon(true);
            return thread;
        });
        poller.scheduleWithFixedDelay(this::reloadQuietly, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void reloadQuietly() {
        try {
            reload();
        } catch (RuntimeException e) {
            LOG.error("configuration reload failed unexpectedly; the last good configuration stays in force", e);
        }
    }

    /**
     * Loads the file if it or the pod's labels changed since the last look.
     *
     * @return false if the file was refused (the previous configuration stays in force)
     */
    public synchronized boolean reload() {
        String text;
        try {
            text = Files.readString(configFile, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return refuse(null, List.of(new FieldError("", "cannot read " + configFile + ": " + e)));
        }
        Map<String, String> labels;
        try {
            labels = podLabelsFile == null ? null : PodLabels.read(podLabelsFile);
        } catch (IOException e) {
            return refuse(null, List.of(new FieldError("", "cannot read pod labels from " + podLabelsFile + ": " + e)));
        }
        String digest = sha256(text);
        if (digest.equals(lastSeenDigest) && Objects.equals(labels, lastSeenLabels)) {
            return lastFailure.get() == null || !digest.equals(lastFailure.get().sha256());
        }
        lastSeenDigest = digest;
        lastSeenLabels = labels;
        SidecarConfig config;
        try {
            config = ConfigLoader.parse(text);
        } catch (InvalidConfigException e) {
            return refuse(digest, e.errors());
        }
        RateLimiter next = RateLimiter.compile(config, labels, limiter.get(), registry, limiterClock);
        limiter.set(next);
        LoadedConfig now = new LoadedConfig(config, digest, labels, clock.instant());
        loaded.set(now);
        lastFailure.set(null);
        reloadsSucceeded.increment();
        for (Consumer<LoadedConfig> listener : listeners) {
            listener.accept(now);
        }
        LOG.info("configuration generation {} (sha256 {}) in force: {} rule(s) of policies {}",
                now.generation(), digest.substring(0, 12), next.rules().size(), next.appliedPolicies());
        next.warnings().forEach(warning -> LOG.warn("{}", warning));
        return true;
    }

    private boolean refuse(String digest, List<FieldError> errors) {
        ReloadFailure failure = new ReloadFailure(digest, errors, clock.instant());
        ReloadFailure previous = lastFailure.getAndSet(failure);
        reloadsFailed.increment();
        if (previous == null || !previous.errors().equals(errors)) {
            LOG.error("configuration {} refused{}: {}", configFile,
                    loaded.get() == null ? "" : "; generation " + loaded.get().generation() + " stays in force", failure.message());
        }
        return false;
    }

    /** Calls {@code listener} with every configuration put in force from now on, right after the swap (the initial load included). */
    public void addListener(Consumer<LoadedConfig> listener) {
        listeners.add(listener);
    }

    public RateLimiter limiter() {
        return limiter.get();
    }

    public LoadedConfig loaded() {
        return loaded.get();
    }

    public ReloadFailure lastFailure() {
        return lastFailure.get();
    }

    @Override
    public void close() {
        if (poller != null) {
            poller.shutdownNow();
        }
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
