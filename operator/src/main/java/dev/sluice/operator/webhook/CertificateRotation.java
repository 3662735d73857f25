package dev.sluice.operator.webhook;

import dev.sluice.operator.webhook.WebhookConfigurations.Found;
import dev.sluice.operator.webhook.WebhookConfigurations.Lookup;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the webhook's certificate current while the operator runs, and the API server trusting it.
 * Every {@link #CHECK_EVERY} (on the injected clock), and every {@link #TICK} while something is
 * wrong, a round:
 *
 * <ol>
 *   <li>reads the webhook configurations, when the operator writes their caBundle (its own CA);
 *   <li>reads the certificate from its source, which renews it in the Secret when it is due
 *       ({@link WebhookTls#current}), or reads the files cert-manager renews;
 *   <li>writes the source's CA bundle into each configuration that does not hold it, with a JSON Patch
 *       conditioned on the resourceVersion read in 1;
 *   <li>serves the new certificate ({@link ServingKeys}) once every configuration trusts it.
 * </ol>
 *
 * <p>Reading the configurations before the Secret is what keeps replicas from undoing each other: a
 * replica writes the Secret before it patches a configuration, so a patch seen in 1 comes with a
 * Secret at least as new in 2, and a patch made after 1 fails the condition in 3.
 *
 * <p>Ready (for {@code /readyz}) means the API server can call this replica: every configuration
 * exists and trusts the certificate it serves. With cert-manager's files the CA injector writes the
 * caBundle, so nothing is read or written here and the replica is ready once it serves.
 */
public final class CertificateRotation implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CertificateRotation.class);
    /** How often, on the injected clock, the source is read for a renewed certificate. */
    static final Duration CHECK_EVERY = Duration.ofMinutes(1);
    /** How often, in real time, the rotation looks whether a round is due. */
    static final Duration TICK = Duration.ofSeconds(2);

    private final WebhookTls tls;
    private final WebhookConfigurations configurations;
    private final ServingKeys keys;
    private final Clock clock;
    private ScheduledExecutorService scheduler;
    private Instant nextRound;
    private List<String> problems = List.of();
    private volatile String notReady = "the webhook configurations have not been read yet";

    private CertificateRotation(WebhookTls tls, WebhookConfigurations configurations, ServingKeys keys, Clock clock) {
        this.tls = tls;
        this.configurations = configurations;
        this.keys = keys;
        this.clock = clock;
    }

    /**
     * Reads the certificate to serve first (creating it in the Secret if there is none); {@code configurations}
     * is null when the operator does not write their caBundle (cert-manager's files).
     */
    public static CertificateRotation load(WebhookTls tls, WebhookConfigurations configurations, Clock clock) {
        CertificateRotation rotation = new CertificateRotation(tls, configurations, new ServingKeys(tls.current()), clock);
        if (configurations == null) {
            rotation.notReady = null;
        }
        return rotation;
    }

    /** What the webhook server presents. */
    public ServingKeys keys() {
        return keys;
    }

    /** Runs a first round now (the server should listen already), then keeps rounds going in the background. */
    public void start() {
        round();
        scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "webhook-certificates");
            thread.setDaemon(true);
            return thread;
        });
        scheduler.scheduleWithFixedDelay(this::roundIfDue, TICK.toMillis(), TICK.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Null when the API server can call this replica; otherwise why not. */
    public String notReady() {
        return notReady;
    }

    private synchronized void roundIfDue() {
        if (!problems.isEmpty() || !clock.instant().isBefore(nextRound)) {
            round();
        }
    }

    synchronized void round() {
        nextRound = clock.instant().plus(CHECK_EVERY);
        List<String> found = new ArrayList<>();
        try {
            Lookup lookup = configurations == null ? null : configurations.read();
            WebhookCertificates latest = tls.current();
            boolean trusted = true;
            List<Found> after = new ArrayList<>();
            if (lookup != null) {
                for (Found configuration : lookup.found()) {
                    if (configuration.holds(latest.caPem())) {
                        after.add(configuration);
                    } else if (configurations.patch(configuration, latest.caPem())) {
                        LOG.info("Wrote the webhook's CA bundle into {} {}", configuration.kind(), configuration.name());
                        after.add(configuration.holding(latest.caPem()));
                    } else {
                        trusted &= configuration.trusts(latest);
                        after.add(configuration);
                        found.add(configuration.kind() + " " + configuration.name() + " changed while its caBundle was being written; trying again");
                    }
                }
                lookup.missing().forEach((name, why) -> found.add("webhook configuration " + name + " cannot be found (" + why
                        + "); the chart installs it, and --webhook-configurations names it"));
            }
            if (!latest.equals(keys.serving())) {
                if (trusted) {
                    keys.serve(latest);
                    LOG.info("Serving the webhook certificate from {}, valid until {}", tls.source(), latest.serving().getNotAfter().toInstant());
                } else {
                    found.add("a new webhook certificate waits until every configuration trusts its CA");
                }
            }
            if (lookup != null) {
                notReady = notReady(after, lookup.missing().keySet());
            }
        } catch (RuntimeException e) {
            found.add("cannot read the webhook certificate from " + tls.source()
                    + (configurations == null ? "" : " or the webhook configurations " + configurations.names()) + ": " + e.getMessage());
        }
        report(found);
    }

    /** Why the API server cannot call this replica with the certificate it serves, or null. */
    private String notReady(List<Found> configurations, Set<String> missing) {
        if (!missing.isEmpty()) {
            return "webhook configurations not found: " + String.join(", ", missing);
        }
        WebhookCertificates served = keys.serving();
        List<String> distrusting = configurations.stream()
                .filter(configuration -> !configuration.trusts(served) && !configuration.holds(served.caPem()))
                .map(Found::name).toList();
        return distrusting.isEmpty() ? null : "webhook configurations whose caBundle does not trust the served certificate: "
                + String.join(", ", distrusting);
    }

    /** Logs problems when they change, not every round. */
    private void report(List<String> found) {
        if (found.equals(problems)) {
            return;
        }
        if (found.isEmpty()) {
            LOG.info("The webhook certificate and configurations are in order again");
        }
        found.stream().filter(problem -> !problems.contains(problem)).forEach(problem -> LOG.warn("Job admission webhook: {}", problem));
        problems = List.copyOf(found);
    }

    @Override
    public void close() {
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
    }
}
