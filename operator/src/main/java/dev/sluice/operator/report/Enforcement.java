package dev.sluice.operator.report;

import dev.sluice.api.v1alpha1.ResourceStatus;
import dev.sluice.operator.render.SidecarConfigMap;
import dev.sluice.operator.status.Conditions;
import dev.sluice.operator.status.PodSidecars;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Which selected pods enforce one resource, folded from their sidecars' last reports as a pure function: the counts and
 * names status shows, and whether it is {@code Ready}. Only pods with a ready sidecar are waited for (a sidecar that is
 * not ready holds the pod's port and readiness, so the pod takes no traffic); a pod whose sidecar has not answered yet
 * and became ready less than 3 report intervals ago (or was not asked that long: a new leader) is not held against Ready
 * either, so that a rollout leaves an unchanged resource Ready, but it counts as enforcing only once it reports. A pod
 * this process has not asked yet (a new leader's first seconds) counts as enforcing what the written status said every
 * pod enforced, when that is the current generation: a restart of the operator changes nothing on the pods, and must
 * not flip Ready; a generation that moved while no operator looked is waited for.
 *
 * @param selectedPods the live pods the selector matches
 * @param podsWithSidecar those with the Sluice sidecar
 * @param enforcingPods those whose last report enforces the resource at its current generation
 * @param stalePodNames every pod with a ready sidecar that enforces an older generation, does not list the resource,
 *     refused the document carrying the current one, or stopped reporting, sorted
 * @param enforcedGeneration the lowest generation the reporting selected pods enforce; empty while none reports it
 * @param oldSidecars pods whose sidecar reads an older document version than the one rendered, with their versions, sorted
 * @param openCircuitPods pods whose circuit for this resource (a CircuitBreaker) is open now, sorted
 * @param readiness whether the resource is Ready, why, and what to say
 */
public record Enforcement(int selectedPods, int podsWithSidecar, int enforcingPods, List<String> stalePodNames,
                          Optional<Long> enforcedGeneration, List<String> oldSidecars, List<String> openCircuitPods, Readiness readiness) {
    static final String REASON_ENFORCED = Conditions.REASON_ENFORCED;
    static final String REASON_NO_PODS_SELECTED = Conditions.REASON_NO_PODS_SELECTED;
    static final String REASON_PROPAGATING = Conditions.REASON_PROPAGATING;
    static final String REASON_PODS_WITHOUT_SIDECAR = Conditions.REASON_PODS_WITHOUT_SIDECAR;
    static final String REASON_SIDECAR_REJECTED_CONFIG = Conditions.REASON_SIDECAR_REJECTED_CONFIG;
    /** How many pod names a message lists before "and N more". */
    static final int NAMED = 5;
    static final int OPEN_NAMED = 10;

    public Enforcement {
        stalePodNames = List.copyOf(stalePodNames);
        oldSidecars = List.copyOf(oldSidecars);
        openCircuitPods = List.copyOf(openCircuitPods);
    }

    /**
     * Whether the resource is Ready as far as its pods go; a valid resource's Ready condition says this, with
     * {@code message} and (while True) the fields not enforced as written after it.
     */
    public record Readiness(boolean ready, String reason, String message) {
    }

    /**
     * The resource whose enforcement is folded: its kind and name as a document's {@code resources} lists them, its
     * current {@code metadata.generation}, the document it is rendered into (its format version and generation), and the
     * generation its written status says every reporting pod enforced ({@code enforcedBefore}, null when none).
     */
    public record Subject(String kind, String name, long generation, int documentVersion, long documentGeneration, Long enforcedBefore) {
        /** A resource whose status says nothing of enforcement yet. */
        public Subject(String kind, String name, long generation, int documentVersion, long documentGeneration) {
            this(kind, name, generation, documentVersion, documentGeneration, null);
        }

        /** Whether the written status says the pods enforced the current generation. */
        boolean enforcedAlready() {
            return enforcedBefore != null && enforcedBefore == generation;
        }
    }

    /**
     * @param selected the live pods the resource's selector matches
     * @param reports what is known of the namespace's pods, by name (a pod missing from it has not been asked yet)
     * @param interval the report interval: a pod is given 3 of them to report after its sidecar became ready
     */
    public static Enforcement fold(Subject subject, List<Pod> selected, Map<String, PodSnapshot> reports, Instant now, Duration interval) {
        Duration grace = interval.multipliedBy(3);
        int withSidecar = 0;
        int enforcing = 0;
        int starting = 0;
        List<String> withoutSidecar = new ArrayList<>();
        Map<String, String> waitingFor = new TreeMap<>();
        Map<String, String> refusals = new TreeMap<>();
        List<Long> reported = new ArrayList<>();
        List<String> oldSidecars = new ArrayList<>();
        List<String> open = new ArrayList<>();
        boolean trustedBefore = false;
        for (Pod pod : selected.stream().sorted(Comparator.comparing(pod -> pod.getMetadata().getName())).toList()) {
            String name = pod.getMetadata().getName();
            if (!PodSidecars.hasSidecar(pod)) {
                withoutSidecar.add(name);
                continue;
            }
            withSidecar++;
            PodSnapshot snapshot = reports.get(name);
            SidecarReport report = snapshot == null ? null : snapshot.report();
            boolean answering = snapshot != null && snapshot.reporting() == PodSnapshot.Reporting.ANSWERING;
            Optional<Long> enforced = report == null || !answering ? Optional.empty() : report.enforced(subject.kind(), subject.name());
            if (answering) {
                enforced.ifPresent(reported::add);
                if (report.documentVersion() != null && report.documentVersion() < subject.documentVersion()) {
                    oldSidecars.add(name + " (sidecar " + report.sidecarVersion() + ", document version " + report.documentVersion() + ")");
                }
                report.breakers().stream().filter(breaker -> subject.name().equals(breaker.breaker()) && breaker.open())
                        .findFirst().ifPresent(breaker -> open.add(name));
            }
            boolean current = enforced.isPresent() && enforced.get() == subject.generation();
            if (current) {
                enforcing++;
                continue;
            }
            if (!PodSidecars.sidecarReady(pod)) {
                starting++;
                continue;
            }
            if (report == null && PodSidecars.readySince(pod).map(since -> since.isAfter(now.minus(grace))).orElse(false)) {
                starting++;
                continue;
            }
            if (report == null && (snapshot == null || snapshot.reporting() == PodSnapshot.Reporting.PENDING)) {
                if (subject.enforcedAlready()) {
                    enforcing++;
                    trustedBefore = true;
                } else {
                    waitingFor.put(name, "not asked yet");
                }
                continue;
            }
            if (!answering) {
                waitingFor.put(name, "not reporting");
            } else if (refusedCurrent(report.refused(), subject)) {
                refusals.put(name, report.refused().message());
                waitingFor.put(name, "refused the configuration");
            } else {
                waitingFor.put(name, enforced.map(generation -> "generation " + generation).orElse("does not list it"));
            }
        }
        int selectedCount = selected.size();
        Readiness readiness;
        if (!refusals.isEmpty()) {
            readiness = new Readiness(false, REASON_SIDECAR_REJECTED_CONFIG, refusalMessage(refusals));
        } else if (!withoutSidecar.isEmpty()) {
            readiness = new Readiness(false, REASON_PODS_WITHOUT_SIDECAR, withoutSidecar.size() + " of " + selectedCount
                    + " selected pods have no sidecar: " + names(withoutSidecar));
        } else if (!waitingFor.isEmpty()) {
            readiness = new Readiness(false, REASON_PROPAGATING, enforcing + " of " + selectedCount + " pods enforce generation "
                    + subject.generation() + "; waiting for " + names(waitingFor.entrySet().stream()
                            .map(entry -> entry.getKey() + " (" + entry.getValue() + ")").toList()));
        } else if (selectedCount == 0) {
            readiness = new Readiness(true, REASON_NO_PODS_SELECTED, "no pod selected");
        } else {
            readiness = new Readiness(true, REASON_ENFORCED, "enforced by " + enforcing + " of " + selectedCount + " selected pods at generation "
                    + subject.generation() + (starting == 0 ? "" : " (" + starting + " starting)"));
        }
        Optional<Long> enforcedGeneration = reported.stream().min(Long::compare);
        if (enforcedGeneration.isEmpty() && trustedBefore) {
            enforcedGeneration = Optional.of(subject.generation());
        }
        return new Enforcement(selectedCount, withSidecar, enforcing, List.copyOf(waitingFor.keySet()),
                enforcedGeneration, oldSidecars, open, readiness);
    }

    /**
     * The Ready condition of a valid resource: this fold's verdict; while Ready, {@code PartiallyEnforced} when fields are
     * not enforced as written (named after the pods' state).
     */
    public Condition ready(Long generation, List<String> notYetEnforced) {
        String message = readiness.reason().equals(REASON_NO_PODS_SELECTED)
                ? "rendered into ConfigMap " + SidecarConfigMap.NAME + "; no pod selected"
                : readiness.message();
        if (readiness.ready() && !notYetEnforced.isEmpty()) {
            return Conditions.of(Conditions.READY, true, Conditions.REASON_PARTIALLY_ENFORCED,
                    message + "; not enforced as written: " + String.join("; ", notYetEnforced), generation);
        }
        return Conditions.of(Conditions.READY, readiness.ready(), readiness.reason(), message, generation);
    }

    /**
     * {@code status} with this fold's fields: a RateLimitPolicy's {@code rates} (null for a CircuitBreaker), a
     * CircuitBreaker's open circuits ({@code breaker}).
     */
    public ResourceStatus applyTo(ResourceStatus status, RuleRates rates, boolean breaker) {
        return new ResourceStatus(status.observedGeneration(), status.conditions(), selectedPods, status.configMap(), status.notYetEnforced(),
                status.warnings(), podsWithSidecar, enforcingPods, enforcingPods + "/" + selectedPods, stalePodNames.size(),
                stalePodNames.stream().limit(NAMED).toList(), enforcedGeneration.orElse(null), oldSidecars.stream().limit(NAMED).toList(),
                rates == null ? null : rates.rules(), rates == null ? null : rates.rejectRate().orElse(null),
                breaker ? openCircuitPods.stream().limit(OPEN_NAMED).toList() : null, breaker ? openCircuitPods.size() : null);
    }

    /**
     * Whether a refused document carried the resource's current generation: it lists it so, or, refused before its
     * resources could be read, it is the document rendered now (or a later one), which carries every resource as it is.
     */
    private static boolean refusedCurrent(SidecarReport.Refusal refused, Subject subject) {
        if (refused == null) {
            return false;
        }
        if (!refused.resources().isEmpty()) {
            return SidecarReport.generationIn(refused.resources(), subject.kind(), subject.name())
                    .map(generation -> generation == subject.generation()).orElse(false);
        }
        return refused.generation() != null && refused.generation() >= subject.documentGeneration();
    }

    private static String refusalMessage(Map<String, String> refusals) {
        List<String> pods = List.copyOf(refusals.keySet());
        String error = refusals.values().iterator().next();
        String who = pods.size() == 1 ? "the sidecar of pod " + pods.get(0) : "the sidecars of " + pods.size() + " pods (" + names(pods) + ")";
        return who + " refused the configuration carrying this generation: " + error;
    }

    /** Up to {@value #NAMED} names, then how many more. */
    static String names(List<String> names) {
        String listed = names.stream().limit(NAMED).collect(Collectors.joining(", "));
        return names.size() > NAMED ? listed + " and " + (names.size() - NAMED) + " more" : listed;
    }
}
