package dev.sluice.operator;

import dev.sluice.operator.audit.SidecarAuditor;
import dev.sluice.operator.breaker.CircuitBreakerReconciler;
import dev.sluice.operator.inject.PodInjection;
import dev.sluice.operator.jobs.JobAdmission;
import dev.sluice.operator.monitoring.OperatorMetrics;
import dev.sluice.operator.monitoring.ProbeServer;
import dev.sluice.operator.ratelimit.RateLimitPolicyReconciler;
import dev.sluice.operator.render.NamespaceConfigWriter;
import dev.sluice.operator.render.SidecarConfigRenderer;
import dev.sluice.operator.report.LiveEvents;
import dev.sluice.operator.report.LiveReports;
import dev.sluice.operator.report.ReportScraper;
import dev.sluice.operator.status.EventRecorder;
import dev.sluice.operator.status.StatusWriter;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.ControllerConfigurationOverrider;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfigurationBuilder;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running operator: its reconcilers, the admission webhooks (Jobs, and pods when injection is on), the reading of the
 * sidecars' reports for live status (on the leader), metrics, probes and (optionally) leader election, wired from
 * {@link OperatorSettings}.
 */
public final class SluiceOperator implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SluiceOperator.class);
    /** How long stopping waits for the reconciliations in progress to end. */
    static final Duration RECONCILIATION_TERMINATION = Duration.ofSeconds(10);

    private final Operator operator;
    private final ProbeServer probes;
    private final PrometheusMeterRegistry registry;
    private final JobAdmission jobAdmission;
    /** Null when injection is off. */
    private final PodInjection podInjection;
    /** Null when injection is off. */
    private final SidecarAuditor auditor;
    private final AtomicBoolean closing;
    /** Gives the leader Lease up once the operator has stopped; nothing without leader election. */
    private final Runnable releaseLease;
    /** Reads the sidecars' reports while leading; holds null when reports are off. */
    private final AtomicReference<ReportScraper> scraping;

    private SluiceOperator(Operator operator, ProbeServer probes, PrometheusMeterRegistry registry, JobAdmission jobAdmission,
            PodInjection podInjection, SidecarAuditor auditor, AtomicBoolean closing, Runnable releaseLease,
            AtomicReference<ReportScraper> scraping) {
        this.scraping = scraping;
        this.operator = operator;
        this.probes = probes;
        this.registry = registry;
        this.jobAdmission = jobAdmission;
        this.podInjection = podInjection;
        this.auditor = auditor;
        this.closing = closing;
        this.releaseLease = releaseLease;
    }

    public static SluiceOperator start(KubernetesClient client, OperatorSettings settings, Clock clock) {
        return start(client, settings, clock, null);
    }

    /**
     * Starts one of several replicas that run in the same process (tests): {@code leaderIdentity} tells them
     * apart in the Lease (null: the pod's name, {@code HOSTNAME}, as in a cluster), and a replica given one
     * that loses the Lease stops leading instead of ending the process.
     */
    public static SluiceOperator start(KubernetesClient client, OperatorSettings settings, Clock clock, String leaderIdentity) {
        return start(client, settings, clock, leaderIdentity, ReportScraper::reportUri);
    }

    /** As {@link #start(KubernetesClient, OperatorSettings, Clock, String)}, reading each pod's report at {@code reportUris} (tests: local servers). */
    public static SluiceOperator start(KubernetesClient client, OperatorSettings settings, Clock clock, String leaderIdentity,
            Function<Pod, URI> reportUris) {
        AtomicBoolean closing = new AtomicBoolean();
        // Set before the operator starts, so that the leader callbacks find it; null while reports are off.
        AtomicReference<ReportScraper> scraping = new AtomicReference<>();
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        OperatorMetrics metrics = new OperatorMetrics(registry);
        EventRecorder events = new EventRecorder(client, clock);
        // Pods without the sidecar, audited by the leader only; only where the webhook server (which injects) runs.
        SidecarAuditor auditor = settings.injection().enabled()
                ? new SidecarAuditor(client, settings.namespaces(), client.getNamespace(), events, registry) : null;
        Operator operator = new Operator(overrider -> {
            overrider.withKubernetesClient(client)
                    .withCloseClientOnStop(false)
                    // JOSDK's default is not to wait: a reconciliation still running (resuming queued Jobs) is
                    // interrupted and may finish after the replica's last flush of its JobQuota decisions,
                    // which then miss from the totals. Well under the pod's 30 s grace period.
                    .withReconciliationTerminationTimeout(RECONCILIATION_TERMINATION)
                    .withUseSSAToPatchPrimaryResource(settings.serverSideApply())
                    .withMetrics(MicrometerMetrics.withoutPerResourceMetrics(registry));
            if (settings.leaderElection()) {
                // JOSDK exits with System.exit when leadership ends, also when close() gives the Lease up
                // from the shutdown hook that SIGTERM runs: System.exit inside a shutdown hook blocks for
                // ever, and the pod is killed at the end of its grace period. Exit only on a Lease lost
                // (and not at all for a replica that tests run in-process with its own identity).
                overrider.withLeaderElectionConfiguration(LeaderElectionConfigurationBuilder
                        .aLeaderElectionConfiguration(settings.leaseName())
                        .withLeaseNamespace(settings.leaseNamespace())
                        .withIdentity(leaderIdentity)
                        .withExitOnStopLeading(false)
                        .withLeaderCallbacks(new LeaderCallbacks(() -> {
                            startAuditing(auditor);
                            startScraping(scraping);
                        }, () -> {
                            stopAuditing(auditor);
                            stopScraping(scraping);
                            if (leaderIdentity == null) {
                                exitUnlessClosing(closing);
                            }
                        }, leader -> { }))
                        .build());
            }
        });
        StatusWriter statusWriter = new StatusWriter(events, clock);
        LiveReports live = settings.reportsEnabled() ? LiveReports.every(settings.reportInterval(), clock) : LiveReports.disabled();
        LiveEvents liveEvents = new LiveEvents(events);
        NamespaceConfigWriter configWriter = new NamespaceConfigWriter(client,
                new SidecarConfigRenderer.DocumentDefaults(settings.trustedProxies(), settings.redis()), metrics, live::configWritten);
        RateLimitPolicyReconciler policies = new RateLimitPolicyReconciler(configWriter, statusWriter, metrics, live, liveEvents);
        operator.register(policies, namespaces(settings));
        operator.register(new CircuitBreakerReconciler(configWriter, statusWriter, metrics, live, liveEvents), namespaces(settings));
        // Read by the leader only, where the reconcilers run; every pod of the watched namespaces comes from the policy reconciler's informer.
        if (live.enabled()) {
            scraping.set(live.scraper(policies::pods, reportUris, registry));
        }
        // Every replica injects (the webhook server runs on each); the namespaces' modes come from an informer of its own.
        PodInjection podInjection = settings.injection().enabled()
                ? PodInjection.start(client, settings.injection(), client.getNamespace(), registry) : null;
        JobAdmission jobAdmission;
        try {
            jobAdmission = JobAdmission.start(client, settings.webhook(), settings.namespaces(), registry, events, statusWriter,
                    clock, podInjection == null ? Map.of() : podInjection.handlers());
        } catch (RuntimeException e) {
            if (podInjection != null) {
                podInjection.close();
            }
            throw e;
        }
        operator.register(jobAdmission.reconciler(), namespaces(settings));
        operator.start();
        ProbeServer probes;
        try {
            // Every replica reports ready once its informers run (a replica that is not the leader keeps them
            // started, reconciling nothing) and the API server can call its webhooks.
            probes = ProbeServer.start(settings.httpPort(), () -> {
                if (!operator.getRuntimeInfo().isStarted() || !operator.getRuntimeInfo().allEventSourcesAreHealthy()) {
                    return "informers not started or not healthy";
                }
                String webhooks = jobAdmission.notReady();
                return webhooks != null || podInjection == null ? webhooks : podInjection.notReady();
            }, registry);
        } catch (IOException e) {
            jobAdmission.close();
            if (podInjection != null) {
                podInjection.close();
            }
            operator.stop();
            throw new UncheckedIOException("cannot listen on port " + settings.httpPort(), e);
        }
        LOG.info("Sluice operator started: namespaces={}, leaderElection={}, sidecar injection={}, probes and metrics on port {}",
                settings.namespaces().isEmpty() ? "all" : settings.namespaces(), settings.leaderElection(), podInjection != null, probes.port());
        Runnable releaseLease = () -> { };
        // JOSDK names a replica by its pod (HOSTNAME) unless given an identity.
        String identity = leaderIdentity != null ? leaderIdentity : System.getenv("HOSTNAME");
        if (settings.leaderElection() && identity != null) {
            String leaseNamespace = settings.leaseNamespace() != null ? settings.leaseNamespace() : client.getNamespace();
            releaseLease = () -> LeaderLease.release(client, leaseNamespace, settings.leaseName(), identity, clock);
        }
        if (!settings.leaderElection()) {
            startAuditing(auditor);
            startScraping(scraping);
        }
        return new SluiceOperator(operator, probes, registry, jobAdmission, podInjection, auditor, closing, releaseLease, scraping);
    }

    private static void startAuditing(SidecarAuditor auditor) {
        if (auditor != null) {
            auditor.start();
        }
    }

    private static void startScraping(AtomicReference<ReportScraper> scraping) {
        if (scraping.get() != null) {
            scraping.get().start();
        }
    }

    private static void stopScraping(AtomicReference<ReportScraper> scraping) {
        if (scraping.get() != null) {
            scraping.get().close();
        }
    }

    private static void stopAuditing(SidecarAuditor auditor) {
        if (auditor != null) {
            auditor.close();
        }
    }

    /** Leadership lost while running: exit, so that the pod restarts and stands for the Lease again. */
    private static void exitUnlessClosing(AtomicBoolean closing) {
        if (!closing.get()) {
            LOG.error("Lost the leader Lease: exiting");
            System.exit(1);
        }
    }

    private static <P extends io.fabric8.kubernetes.api.model.HasMetadata> Consumer<ControllerConfigurationOverrider<P>> namespaces(
            OperatorSettings settings) {
        return overrider -> {
            if (settings.namespaces().isEmpty()) {
                overrider.watchingAllNamespaces();
            } else {
                overrider.settingNamespaces(settings.namespaces());
            }
        };
    }

    public int httpPort() {
        return probes.port();
    }

    /** The admission webhooks' HTTPS port (Jobs and pods), or -1 when it is off. */
    public int webhookPort() {
        return jobAdmission.webhookPort();
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    @Override
    public void close() {
        closing.set(true);
        stopAuditing(auditor);
        stopScraping(scraping);
        if (podInjection != null) {
            podInjection.close();
        }
        probes.close();
        operator.stop();
        // After the reconciler stopped (it resumes Jobs too) and before another replica may lead: the last
        // decisions of this one are flushed into the JobQuota totals the next leader reports.
        jobAdmission.close();
        // After stop: nothing of this replica reconciles any more when another one starts leading.
        releaseLease.run();
    }
}
