package dev.sluice.operator.jobs;

import dev.sluice.api.config.LabelSelector;
import dev.sluice.api.v1alpha1.JobQuotaSpec.OnLimit;
import dev.sluice.api.v1alpha1.JobQuotaSpec.QueueOrder;
import dev.sluice.api.v1alpha1.JobQuotaSpec.QuotaMode;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Fluent fixtures for admission tests: {@code job("a").queuedAt(t).build()}, {@code quota("q").max(5).reject().build()}. */
final class JobFixtures {
    static final Instant T0 = Instant.parse("2026-01-01T10:00:00Z");

    private JobFixtures() {
    }

    static JobBuilder job(String name) {
        return new JobBuilder(name);
    }

    static QuotaBuilder quota(String name) {
        return new QuotaBuilder(name);
    }

    static NamespaceState state(List<JobView> jobs, Ticket... tickets) {
        return new NamespaceState("team-a", jobs, List.of(tickets));
    }

    static final class JobBuilder {
        private final String name;
        private final Map<String, String> labels = new HashMap<>();
        private final Map<String, String> annotations = new HashMap<>();
        private boolean suspended;
        private boolean finished;
        private Instant failedAt;
        private Instant createdAt = T0;

        private JobBuilder(String name) {
            this.name = name;
        }

        JobBuilder label(String key, String value) {
            labels.put(key, value);
            return this;
        }

        JobBuilder annotation(String key, String value) {
            annotations.put(key, value);
            return this;
        }

        /** Suspended and labelled by Sluice, queued at {@code at}. */
        JobBuilder queuedAt(Instant at) {
            suspended = true;
            labels.put(JobMarks.QUEUED_LABEL, "true");
            annotations.put(JobMarks.QUEUED_AT, at.toString());
            return this;
        }

        JobBuilder suspended() {
            suspended = true;
            return this;
        }

        JobBuilder completed() {
            finished = true;
            return this;
        }

        JobBuilder failedAt(Instant at) {
            finished = true;
            failedAt = at;
            return this;
        }

        JobBuilder createdAt(Instant at) {
            createdAt = at;
            return this;
        }

        JobView build() {
            return new JobView(name, "uid-" + name, labels, annotations, suspended, finished, failedAt, createdAt, null);
        }
    }

    static final class QuotaBuilder {
        private final String name;
        private int max = 10;
        private LabelSelector selector = LabelSelector.everything();
        private OnLimit onLimit = OnLimit.Queue;
        private QueueOrder order = QueueOrder.FIFO;
        private String priorityLabel;
        private Integer maxQueued;
        private String backoffKey;
        private Duration backoffPeriod;
        private QuotaMode mode = QuotaMode.Enforce;

        private QuotaBuilder(String name) {
            this.name = name;
        }

        QuotaBuilder max(int max) {
            this.max = max;
            return this;
        }

        QuotaBuilder selecting(String label, String value) {
            selector = new LabelSelector(Map.of(label, value), List.of());
            return this;
        }

        QuotaBuilder reject() {
            onLimit = OnLimit.Reject;
            return this;
        }

        QuotaBuilder priority(String label) {
            order = QueueOrder.Priority;
            priorityLabel = label;
            return this;
        }

        QuotaBuilder maxQueued(int maxQueued) {
            this.maxQueued = maxQueued;
            return this;
        }

        QuotaBuilder backoff(String keyLabel, Duration period) {
            backoffKey = keyLabel;
            backoffPeriod = period;
            return this;
        }

        QuotaBuilder dryRun() {
            mode = QuotaMode.DryRun;
            return this;
        }

        QuotaRules build() {
            return new QuotaRules(name, max, selector, onLimit, order, priorityLabel, maxQueued, backoffKey, backoffPeriod, mode);
        }
    }
}
