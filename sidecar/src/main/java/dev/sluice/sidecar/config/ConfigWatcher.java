package dev.sluice.sidecar.config;

import dev.sluice.api.config.ConfigLoader;
import dev.sluice.api.config.FieldError;
import dev.sluice.api.config.InvalidConfigException;
import dev.sluice.api.config.SidecarConfig;
import dev.sluice.sidecar.watch.WatchedDocument;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import dev.sluice.sidecar.log.ThrottledLog;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the configuration in force in step with its file: loads it and reports what fails. The file
 * is polled by content rather than watched for events: a ConfigMap volume is updated by swapping a
 * symlink, which file-change events report unreliably. A changed file is parsed, validated and checked
 * against the files it names, then handed to the {@link Enforcer}, which compiles it whole and swaps
 * it in. A file that fails at any step is refused whole: the last good configuration stays in force
 * entire, and the failure is logged once, counted and shown on the admin port. A refused file is
 * tried again when its content (or the pod's labels) changes. A document of a newer format than this build reads is
 * put in force without the fields it does not know, which are logged and shown on the admin port
 * ({@link LoadedConfig#ignoredFields}); what a refused document says about itself (its generation and resources) is
 * kept with the refusal, for the operator's status.
 *
 * <p>With {@code optional} (an injected sidecar, whose ConfigMap volume is optional and empty while the
 * namespace has no policies), a missing file is not an error: an empty document is put in force like any
 * other, so nothing is enforced and traffic passes through, and the file is loaded when it appears. A
 * file that disappears again means nothing enforced again. A file that exists but cannot be read or is
 * invalid is refused as always.
 *
 * <p>With a watch on the API server ({@code --config-watch}), the watch {@link #offer offers} each state of the
 * ConfigMap's document. Until it first does, the file is polled as above (a sidecar started while the API server is
 * unreachable, or before its namespace's Role exists, enforces the mounted file); from then on the watch is the only
 * source and the file is no longer read: a ConfigMap volume lags the watch by a minute or more, and would put an
 * older document back over a newer one. A watched document whose {@code generation} is lower than the one in force
 * from the same ConfigMap (same uid) is ignored and logged; a recreated ConfigMap (a new uid) is accepted whatever its
 * generation. An absent ConfigMap (or key) enforces nothing, as a missing optional file does. The pod's labels are
 * still polled, and a change of them applies the watched document again.
 *
 * <p>A file that cannot be opened because the process is out of file descriptors ({@code EMFILE}, {@code ENFILE}: an
 * overload, not the file) is not refused: what is in force stays, no refusal is shown, and the next poll looks
 * again. Nothing a poll throws stops the polling.
 */
public final class ConfigWatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ConfigWatcher.class);
    /** What {@link #lastSeenDigest} holds while the file is absent: no digest of content is this. */
    private static final String ABSENT = "absent";
    /** How the JDK words {@code EMFILE} (this process) and {@code ENFILE} (the whole system) on Linux and macOS. */
    private static final List<String> OUT_OF_DESCRIPTORS = List.of("Too many open files", "Too many open files in system");

    private final Path configFile;
    private final boolean optional;
    private final Path podLabelsFile;
    private final Clock clock;
    private final Enforcer enforcer;
    private final AtomicReference<ReloadFailure> lastFailure = new AtomicReference<>();
    private final Counter reloadsSucceeded;
    private final Counter reloadsFailed;
    private String lastSeenDigest;
    private ConfigSource lastSeenSource;
    /** The watch's latest state of the document; null until the watch first delivers, while the file is the source. */
    private WatchedDocument watched;
    private Map<String, String> lastSeenLabels;
    private ScheduledExecutorService poller;
    private final ThrottledLog skippedPolls = new ThrottledLog();

    /**
     * @param optional whether a missing {@code configFile} means nothing to enforce rather than an error
     * @param enforcer puts each configuration that loads in force
     */
    public ConfigWatcher(Path configFile, boolean optional, Path podLabelsFile, MeterRegistry registry, Clock clock, Enforcer enforcer) {
        this.configFile = configFile;
        this.optional = optional;
        this.podLabelsFile = podLabelsFile;
        this.clock = clock;
        this.enforcer = enforcer;
        this.reloadsSucceeded = Counter.builder("sluice_config_reloads").tag("result", "success")
                .description("Configuration loads by result").register(registry);
        this.reloadsFailed = Counter.builder("sluice_config_reloads").tag("result", "failure")
                .description("Configuration loads by result").register(registry);
        Gauge.builder("sluice_config_generation", this, watcher -> watcher.loaded() == null ? -1 : watcher.loaded().generation())
                .description("Generation of the configuration in force").register(registry);
        Gauge.builder("sluice_config_last_reload_failed", lastFailure, ref -> ref.get() == null ? 0 : 1)
                .description("1 while the newest configuration file is refused and an older one is in force").register(registry);
    }

    /** Loads the file for the first time; a file that cannot be put in force is an error the caller reports before exiting. */
    public LoadedConfig loadInitial() throws InvalidConfigException {
        if (!reload()) {
            throw new InvalidConfigException(lastFailure.get().errors());
        }
        return loaded();
    }

    /** Starts polling the file every {@code interval}. */
    public void watch(Duration interval) {
        poller = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "sluice-config-watcher");
            thread.setDaemon(true);
            return thread;
        });
        poller.scheduleWithFixedDelay(this::poll, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * One poll. A scheduled task that throws is never run again, and a sidecar out of file descriptors can throw
     * where nothing else does (a class loaded for the first time from a jar it cannot open), so whatever a poll
     * throws is logged and the next poll runs as usual, loading the document again; only the JVM's own failures (out of
     * memory) go on up.
     */
    private void poll() {
        try {
            reload();
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable e) {
            forgetLastSeen();
            if (skippedPolls.due(clock.millis() * 1_000_000L) >= 0) {
                LOG.error("looking at configuration {} failed; what is in force stays, the next poll looks again", configFile, e);
            }
        }
    }

    /** Makes the next poll load the document even if unchanged: the one last seen was neither put in force nor refused. */
    private synchronized void forgetLastSeen() {
        lastSeenDigest = null;
    }

    /**
     * Loads the file if it or the pod's labels changed since the last look.
     *
     * @return false if the file was refused (the previous configuration stays in force)
     */
    public synchronized boolean reload() {
        if (watched != null) {
            return load(watched);
        }
        String text;
        try {
            text = Files.readString(configFile, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            if (optional) {
                return enforceNothing(ConfigSource.file(configFile));
            }
            lastSeenDigest = null;
            return refuse(ConfigSource.file(configFile), null, null, List.of(new FieldError("", "cannot read " + configFile + ": " + e)), null);
        } catch (IOException e) {
            if (outOfDescriptors(e)) {
                return skip(e);
            }
            // Forget the content last seen, so that the file is compiled again once it can be read.
            lastSeenDigest = null;
            return refuse(ConfigSource.file(configFile), null, null, List.of(new FieldError("", "cannot read " + configFile + ": " + e)), null);
        }
        return load(text, ConfigSource.file(configFile));
    }

    /** Whether {@code e} says the process (or the system) is out of file descriptors, which says nothing of the file. */
    static boolean outOfDescriptors(IOException e) {
        return e instanceof FileSystemException failure && failure.getReason() != null
                && OUT_OF_DESCRIPTORS.contains(failure.getReason().trim());
    }

    /** A look that could not be taken: nothing changes, and the next poll looks again. */
    private boolean skip(IOException e) {
        long skipped = skippedPolls.due(clock.millis() * 1_000_000L);
        if (skipped >= 0) {
            LOG.warn("{} poll(s) of the configuration skipped: {}; what is in force stays, the next poll looks again", skipped, e.toString());
        }
        return lastFailure.get() == null;
    }

    /**
     * Takes the watch's latest state of the document and puts it in force, unless it is older than the one in force
     * from the same ConfigMap. From the first call on, the file is no longer read.
     *
     * @return false if the document was refused (the previous configuration stays in force)
     */
    public synchronized boolean offer(WatchedDocument document) {
        LoadedConfig inForce = loaded();
        if (document.present() && inForce != null && inForce.source().fromWatch() && document.uid() != null
                && document.uid().equals(inForce.source().uid())) {
            Long generation = ConfigLoader.header(document.text()).generation();
            if (generation != null && generation < inForce.generation()) {
                LOG.warn("ConfigMap {} at resourceVersion {} holds generation {}, older than generation {} in force from it; ignored",
                        document.configMap(), document.resourceVersion(), generation, inForce.generation());
                return true;
            }
        }
        if (watched == null) {
            LOG.info("ConfigMap {} delivered by the watch: it is the configuration's only source from now on, {} is no longer read",
                    document.configMap(), configFile);
        }
        watched = document;
        return load(document);
    }

    private boolean load(WatchedDocument document) {
        ConfigSource source = ConfigSource.watch(document.configMap(), document.uid(), document.resourceVersion());
        return document.present() ? load(document.text(), source) : enforceNothing(source);
    }

    /** Puts {@code text} in force unless it, its origin and the pod's labels are what was last seen. */
    private boolean load(String text, ConfigSource source) {
        Map<String, String> labels;
        try {
            labels = podLabelsFile == null ? null : PodLabels.read(podLabelsFile);
        } catch (IOException e) {
            if (outOfDescriptors(e)) {
                return skip(e);
            }
            lastSeenDigest = null;
            return refuse(source, text, null, List.of(new FieldError("", "cannot read pod labels from " + podLabelsFile + ": " + e)), null);
        }
        String digest = sha256(text);
        if (digest.equals(lastSeenDigest) && Objects.equals(labels, lastSeenLabels) && source.sameOrigin(lastSeenSource)) {
            return lastFailure.get() == null;
        }
        boolean appeared = ABSENT.equals(lastSeenDigest);
        lastSeenDigest = digest;
        lastSeenLabels = labels;
        lastSeenSource = source;
        if (appeared) {
            LOG.info("configuration {} appeared", source);
        }
        try {
            ConfigLoader.Parsed parsed = ConfigLoader.read(text);
            List<FieldError> files = ConfigFiles.problems(parsed.config(), labels);
            if (!files.isEmpty()) {
                return refuse(source, text, digest, files, null);
            }
            if (parsed.newerFormat()) {
                LOG.warn("configuration {} is of document version {}, newer than {} this sidecar reads: enforced without the fields"
                        + " it does not know: {}", source, parsed.config().version(), SidecarConfig.DOCUMENT_VERSION,
                        parsed.ignoredFields().isEmpty() ? "none" : String.join(", ", parsed.ignoredFields()));
            }
            putInForce(new LoadedConfig(parsed.config(), digest, labels, clock.instant(), source, parsed.ignoredFields()));
        } catch (InvalidConfigException e) {
            return refuse(source, text, digest, e.errors(), null);
        } catch (RuntimeException e) {
            return refuse(source, text, digest, List.of(new FieldError("", "cannot be put in force: " + e)), e);
        }
        reloadsSucceeded.increment();
        return true;
    }

    /**
     * Puts an empty document in force for a missing file (under {@code optional}), once per disappearance: what
     * a refused file left behind goes too, since there is no file to refuse any more.
     */
    private boolean enforceNothing(ConfigSource source) {
        if (ABSENT.equals(lastSeenDigest) && source.sameOrigin(lastSeenSource)) {
            return true;
        }
        try {
            putInForce(LoadedConfig.absent(clock.instant(), source));
        } catch (RuntimeException e) {
            lastSeenDigest = null;
            return refuse(source, null, null, List.of(new FieldError("", "nothing could be put in force for the absent " + source + ": " + e)), e);
        }
        lastSeenDigest = ABSENT;
        lastSeenLabels = null;
        lastSeenSource = source;
        reloadsSucceeded.increment();
        LOG.info("configuration {} is absent: nothing is enforced, every request passes through to the app until it appears", source);
        return true;
    }

    /**
     * Puts {@code loaded} in force. The refusal shown until now is cleared first, so that no reader sees the new
     * configuration beside the refusal it replaced, and put back if this one cannot be put in force either.
     */
    private void putInForce(LoadedConfig loaded) {
        ReloadFailure shown = lastFailure.getAndSet(null);
        try {
            enforcer.enforce(loaded);
        } catch (RuntimeException e) {
            lastFailure.compareAndSet(null, shown);
            throw e;
        }
    }

    /** {@code text}: the refused document, null when there was none to read; what it says about itself is reported with the refusal. */
    private boolean refuse(ConfigSource source, String text, String digest, List<FieldError> errors, Throwable cause) {
        ConfigLoader.Header header = text == null ? ConfigLoader.Header.NONE : ConfigLoader.header(text);
        ReloadFailure failure = new ReloadFailure(digest, errors, clock.instant(), header.generation(), header.resources());
        ReloadFailure previous = lastFailure.getAndSet(failure);
        reloadsFailed.increment();
        if (previous == null || !previous.errors().equals(errors)) {
            LoadedConfig inForce = loaded();
            String message = "configuration {} refused{}: {}";
            Object stays = inForce == null ? "" : "; generation " + inForce.generation() + " stays in force";
            if (cause == null) {
                LOG.error(message, source, stays, failure.message());
            } else {
                LOG.error(message, source, stays, failure.message(), cause);
            }
        }
        return false;
    }

    /** The configuration in force, or null before the first load. */
    public LoadedConfig loaded() {
        return enforcer.loaded();
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
