package dev.sluice.operator.report;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The sidecars' reports as the reconcilers use them: what is known of a namespace's pods now, an event source that
 * reconciles a namespace when its reports change, and the scraper that fills them (on the leader). Disabled
 * ({@code --report-interval 0}), it reads nothing and the reconcilers write the status of a rendering only.
 */
public final class LiveReports {
    private final Duration interval;
    private final Clock clock;
    private final ReportStore store;
    private final ReportTriggers triggers = new ReportTriggers();
    private final Map<String, Long> renderedGenerations = new ConcurrentHashMap<>();
    private volatile ReportScraper scraper;

    private LiveReports(Duration interval, Clock clock) {
        this.interval = interval;
        this.clock = clock;
        this.store = new ReportStore(interval.multipliedBy(3));
    }

    public static LiveReports disabled() {
        return new LiveReports(Duration.ZERO, Clock.systemUTC());
    }

    /** Reports read every {@code interval}; zero is {@link #disabled()}. */
    public static LiveReports every(Duration interval, Clock clock) {
        return new LiveReports(interval, clock);
    }

    public boolean enabled() {
        return !interval.isZero();
    }

    /** The event source through which a change in the reports reconciles a reconciler's resources; empty when disabled. */
    public <P extends HasMetadata> Optional<EventSource<SidecarReport, P>> eventSource(EventSourceContext<P> context) {
        return enabled() ? Optional.of(triggers.eventSource(context)) : Optional.empty();
    }

    /** What is known of the pods of {@code namespace} now; the reconcilers fold it, and say which document they rendered. */
    public View view(String namespace, long renderedGeneration) {
        renderedGenerations.put(namespace, renderedGeneration);
        Instant now = clock.instant();
        return new View(store.namespace(namespace, now), now, interval);
    }

    /** The scraper reading into these reports (started and stopped with leadership); one per operator. */
    public synchronized ReportScraper scraper(Supplier<List<Pod>> pods, Function<Pod, URI> uris, MeterRegistry registry) {
        if (scraper == null) {
            scraper = new ReportScraper(pods, store, interval, clock, uris, triggers::fire, renderedGenerations, registry);
        }
        return scraper;
    }

    /** The operator changed the ConfigMap of {@code namespace} to document {@code generation}: its sidecars are asked again soon. */
    public void configWritten(String namespace, long generation) {
        renderedGenerations.merge(namespace, generation, Math::max);
        ReportScraper current = scraper;
        if (current != null) {
            current.configWritten(namespace, generation);
        }
    }

    /** One namespace's reports at one moment. */
    public record View(Map<String, PodSnapshot> pods, Instant now, Duration interval) {
        public Enforcement enforcement(Enforcement.Subject subject, List<Pod> selected) {
            return Enforcement.fold(subject, selected, pods, now, interval);
        }

        /** A RateLimitPolicy's rates over its selected pods. */
        public RuleRates rates(String policy, List<Pod> selected) {
            return RuleRates.of(policy, selected.stream().map(pod -> pods.get(pod.getMetadata().getName()))
                    .filter(snapshot -> snapshot != null).toList(), now);
        }
    }
}
