package dev.sluice.operator.jobs;

import dev.sluice.api.v1alpha1.JobQuotaSpec.OnLimit;
import dev.sluice.operator.jobs.CreateDecision.DryRunFinding;
import dev.sluice.operator.jobs.CreateDecision.Outcome;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The admission decisions, as pure functions of a namespace's state and the time. A Job runs only
 * when every Enforce quota that selects it has room; a new Job does not overtake a queued one that
 * may run; within a quota, queued Jobs are admitted in the quota's order. While the admission ledger
 * cannot be read, no Job is admitted.
 */
public final class AdmissionDecider {
    private AdmissionDecider() {
    }

    /** The decision for a Job being created (not suspended by its owner). */
    public static CreateDecision decideCreate(JobView job, List<QuotaRules> quotas, NamespaceState state, Instant now) {
        List<QuotaRules> governing = quotas.stream().filter(q -> q.enforcing() && q.selects(job.labels())).toList();
        List<DryRunFinding> dryRun = new ArrayList<>();
        for (QuotaRules quota : quotas) {
            if (!quota.enforcing() && quota.selects(job.labels())) {
                CreateDecision alone = decide(job, List.of(quota), state, now);
                if (alone.outcome() != Outcome.ADMIT) {
                    dryRun.add(new DryRunFinding(quota.name(), alone.outcome(), alone.message()));
                }
            }
        }
        if (governing.isEmpty()) {
            return new CreateDecision(Outcome.UNGOVERNED, null, null, List.of(), dryRun);
        }
        CreateDecision decision = decide(job, governing, state, now);
        return new CreateDecision(decision.outcome(), decision.message(), decision.notBefore(), decision.quotas(), dryRun);
    }

    private static CreateDecision decide(JobView job, List<QuotaRules> governing, NamespaceState state, Instant now) {
        String namespace = state.namespace();
        Instant holdUntil = Instant.MIN;
        QuotaRules holdingQuota = null;
        for (QuotaRules quota : governing) {
            Instant until = state.holdUntil(job.labels(), null, List.of(quota), now);
            if (until.isAfter(now) && until.isAfter(holdUntil)) {
                holdUntil = until;
                holdingQuota = quota;
            }
        }
        Ticket unreadable = state.unreadableLedger().orElse(null);
        List<QuotaRules> full = new ArrayList<>();
        for (QuotaRules quota : governing) {
            if (unreadable != null || state.active(quota) >= quota.maxConcurrentJobs() || state.hasEligibleWaiting(quota, governing, now)) {
                full.add(quota);
            }
        }
        if (holdingQuota != null && holdingQuota.onLimit() == OnLimit.Reject) {
            return refuse(backoffMessage(job, holdingQuota, state, holdUntil, now) + "; retry after " + holdUntil, holdingQuota);
        }
        for (QuotaRules quota : full) {
            if (quota.onLimit() == OnLimit.Reject && unreadable != null) {
                return refuse(unreadableMessage(namespace, unreadable) + "; retry then (JobQuota " + quota.name() + ")", quota);
            }
            if (quota.onLimit() == OnLimit.Reject) {
                return refuse(String.format("concurrent job limit reached (%d/%d) in namespace %s; retry after a running Job finishes (JobQuota %s)",
                        Math.min(state.active(quota), quota.maxConcurrentJobs()), quota.maxConcurrentJobs(), namespace, quota.name()), quota);
            }
        }
        if (full.isEmpty() && holdingQuota == null) {
            return new CreateDecision(Outcome.ADMIT, null, null, names(governing), List.of());
        }
        for (QuotaRules quota : governing) {
            if (quota.onLimit() == OnLimit.Queue && quota.maxQueued() != null && state.queued(quota) >= quota.maxQueued()) {
                return refuse(String.format("job queue full (%d/%d queued) in namespace %s; retry after queued Jobs have run (JobQuota %s)",
                        state.queued(quota), quota.maxQueued(), namespace, quota.name()), quota);
            }
        }
        if (holdingQuota != null) {
            List<String> by = new ArrayList<>(names(full));
            if (!by.contains(holdingQuota.name())) {
                by.add(holdingQuota.name());
            }
            return new CreateDecision(Outcome.QUEUE, backoffMessage(job, holdingQuota, state, holdUntil, now) + "; queued until " + holdUntil,
                    holdUntil, by, List.of());
        }
        QuotaRules first = full.get(0);
        if (unreadable != null) {
            return new CreateDecision(Outcome.QUEUE, unreadableMessage(namespace, unreadable) + "; queued until then (JobQuota " + first.name() + ")",
                    null, names(full), List.of());
        }
        String message = state.active(first) >= first.maxConcurrentJobs()
                ? String.format("concurrent job limit reached (%d/%d) in namespace %s; queued until a running Job finishes (JobQuota %s)",
                        Math.min(state.active(first), first.maxConcurrentJobs()), first.maxConcurrentJobs(), namespace, first.name())
                : String.format("queued behind Jobs already waiting in namespace %s (JobQuota %s)", namespace, first.name());
        return new CreateDecision(Outcome.QUEUE, message, null, names(full), List.of());
    }

    /**
     * The decision for an update of a Job by anyone but the operator. A Job Sluice holds keeps its
     * place: only the operator resumes it or changes its marks. Un-suspending a Job its owner created
     * suspended is an admission decision, as its creation would have been; so is handing a Job a quota
     * governs to Kueue, which would take it out of the count.
     */
    public static UpdateDecision decideUpdate(JobView before, JobView after, List<QuotaRules> quotas, NamespaceState state, Instant now) {
        List<QuotaRules> enforcing = quotas.stream().filter(QuotaRules::enforcing).sorted(Comparator.comparing(QuotaRules::name)).toList();
        if (before.queuedBySluice()) {
            List<String> changed = JobMarks.changed(before, after);
            List<QuotaRules> holding = governing(before, enforcing);
            if (changed.isEmpty() || holding.isEmpty()) {
                return UpdateDecision.letThrough();
            }
            return new UpdateDecision(Outcome.REFUSE, heldMessage(before, holding.get(0), state, changed), names(holding));
        }
        if (!before.finished() && !before.labels().containsKey(JobMarks.KUEUE_QUEUE_NAME) && after.labels().containsKey(JobMarks.KUEUE_QUEUE_NAME)) {
            List<QuotaRules> selecting = enforcing.stream().filter(quota -> quota.selects(before.labels())).toList();
            if (!selecting.isEmpty()) {
                return new UpdateDecision(Outcome.REFUSE, String.format("Job %s is governed by JobQuota %s: label %s hands a Job to Kueue only"
                        + " when the Job is created with it; added later, it would take the Job out of the quota's count",
                        after.name(), selecting.get(0).name(), JobMarks.KUEUE_QUEUE_NAME), names(selecting));
            }
            return UpdateDecision.letThrough();
        }
        if (!before.suspended() || after.suspended() || after.finished()) {
            return UpdateDecision.letThrough();
        }
        CreateDecision decision = decideCreate(after, quotas, state, now);
        return switch (decision.outcome()) {
            case UNGOVERNED -> UpdateDecision.letThrough();
            case ADMIT -> new UpdateDecision(Outcome.ADMIT, null, decision.quotas());
            case QUEUE, REFUSE -> {
                QuotaRules quota = enforcing.stream().filter(q -> q.name().equals(decision.quotas().get(0))).findFirst().orElseThrow();
                yield new UpdateDecision(Outcome.REFUSE, notNowMessage(after, quota, state, now), decision.quotas());
            }
        };
    }

    private static String heldMessage(JobView job, QuotaRules quota, NamespaceState state, List<String> changed) {
        List<JobView> queue = state.waiting(quota).stream().sorted(QueueOrder.of(quota)).toList();
        int position = 1 + queue.stream().map(JobView::uid).toList().indexOf(job.uid());
        String place = position > 0 ? String.format("number %d of %d in its queue", position, queue.size()) : "in its queue";
        return String.format("Job %s is queued by JobQuota %s: %s, with %d/%d selected Jobs running in namespace %s; the Sluice operator"
                + " resumes it when its turn comes. While a Job is queued only the operator changes its spec.suspend and Sluice's marks"
                + " (this update changes %s); delete the Job to withdraw it", job.name(), quota.name(), place, state.active(quota),
                quota.maxConcurrentJobs(), state.namespace(), String.join(", ", changed));
    }

    private static String notNowMessage(JobView job, QuotaRules quota, NamespaceState state, Instant now) {
        String namespace = state.namespace();
        Ticket unreadable = state.unreadableLedger().orElse(null);
        Instant holdUntil = state.holdUntil(job.labels(), null, List.of(quota), now);
        String why = unreadable != null ? unreadableMessage(namespace, unreadable)
                : holdUntil.isAfter(now) ? backoffMessage(job, quota, state, holdUntil, now)
                : state.active(quota) >= quota.maxConcurrentJobs()
                        ? String.format("concurrent job limit reached (%d/%d) in namespace %s (JobQuota %s)",
                                Math.min(state.active(quota), quota.maxConcurrentJobs()), quota.maxConcurrentJobs(), namespace, quota.name())
                        : String.format("Jobs queued in namespace %s go first (JobQuota %s)", namespace, quota.name());
        return String.format("Job %s may not run now: %s, and it is not in the queue (%d Jobs queued); un-suspending a Job a JobQuota"
                + " selects is an admission decision: retry after a running Job finishes%s", job.name(), why, state.waiting(quota).size(),
                quota.onLimit() == OnLimit.Queue ? ", or create it again without spec.suspend to wait in the queue" : "");
    }

    /** The queued Jobs to resume now: in each quota's order, while every quota selecting the Job has room and no backoff holds it. */
    public static ResumePlan planResumes(List<QuotaRules> quotas, NamespaceState state, Instant now) {
        List<QuotaRules> enforcing = quotas.stream().filter(QuotaRules::enforcing).sorted(Comparator.comparing(QuotaRules::name)).toList();
        Map<String, Integer> active = new HashMap<>();
        enforcing.forEach(quota -> active.put(quota.name(), state.active(quota)));
        List<ResumePlan.Resume> resume = new ArrayList<>();
        Set<String> chosen = new HashSet<>();
        Instant nextCheck = null;
        for (JobView job : state.waiting().stream().sorted(Comparator.comparing(JobView::queuedAt).thenComparing(JobView::name)).toList()) {
            if (governing(job, enforcing).isEmpty()) {
                resume.add(new ResumePlan.Resume(job, List.of()));
                chosen.add(job.uid());
            }
        }
        Ticket unreadable = state.unreadableLedger().orElse(null);
        if (unreadable != null) {
            return new ResumePlan(resume, unreadable.lapsesAt());
        }
        for (QuotaRules quota : enforcing) {
            for (JobView job : state.waiting(quota).stream().sorted(QueueOrder.of(quota)).toList()) {
                if (chosen.contains(job.uid())) {
                    continue;
                }
                List<QuotaRules> governing = governing(job, enforcing);
                Instant holdUntil = state.holdUntil(job.labels(), job.notBefore(), governing, now);
                if (holdUntil.isAfter(now)) {
                    nextCheck = nextCheck == null || holdUntil.isBefore(nextCheck) ? holdUntil : nextCheck;
                    continue;
                }
                if (active.get(quota.name()) >= quota.maxConcurrentJobs()) {
                    break;
                }
                if (governing.stream().allMatch(g -> active.get(g.name()) < g.maxConcurrentJobs())) {
                    governing.forEach(g -> active.merge(g.name(), 1, Integer::sum));
                    resume.add(new ResumePlan.Resume(job, names(governing)));
                    chosen.add(job.uid());
                }
            }
        }
        return new ResumePlan(resume, nextCheck);
    }

    private static List<QuotaRules> governing(JobView job, List<QuotaRules> enforcing) {
        return enforcing.stream().filter(quota -> quota.governs(job)).toList();
    }

    private static CreateDecision refuse(String message, QuotaRules quota) {
        return new CreateDecision(Outcome.REFUSE, message, null, List.of(quota.name()), List.of());
    }

    private static String backoffMessage(JobView job, QuotaRules quota, NamespaceState state, Instant holdUntil, Instant now) {
        String key = quota.backoffKey(job.labels());
        Instant failed = state.lastFailure(quota.backoffKeyLabel(), key);
        return String.format("a Job with %s=%s failed %s ago and the failure backoff is %s (JobQuota %s): it may run in %s",
                quota.backoffKeyLabel(), key, human(Duration.between(failed, now)), human(quota.backoffPeriod()), quota.name(),
                human(Duration.between(now, holdUntil)));
    }

    /** Why nothing is admitted while the ledger cannot be read, and until when. */
    static String unreadableMessage(String namespace, Ticket unreadable) {
        return String.format("the admission ledger of namespace %s (ConfigMap %s) could not be read, so the Jobs it had just admitted are"
                + " unknown; none is admitted before %s, when they have all been stored or lapsed", namespace, AdmissionLedger.NAME,
                unreadable.lapsesAt());
    }

    private static List<String> names(List<QuotaRules> quotas) {
        return quotas.stream().map(QuotaRules::name).toList();
    }

    /** A duration as people write it: 4m12s, 90ms, 2h. */
    static String human(Duration duration) {
        if (duration.isNegative()) {
            duration = Duration.ZERO;
        }
        if (duration.compareTo(Duration.ofSeconds(1)) < 0) {
            return duration.toMillis() + "ms";
        }
        long seconds = duration.toSeconds();
        StringBuilder text = new StringBuilder();
        if (seconds >= 3600) {
            text.append(seconds / 3600).append('h');
        }
        if (seconds % 3600 >= 60) {
            text.append(seconds % 3600 / 60).append('m');
        }
        if (seconds % 60 > 0 || text.length() == 0) {
            text.append(seconds % 60).append('s');
        }
        return text.toString();
    }
}
