package dev.sluice.operator.jobs;

import dev.sluice.api.config.ConfigValidator;
import dev.sluice.api.config.FieldError;
import dev.sluice.api.config.LimitPeriod;
import dev.sluice.api.v1alpha1.FailureBackoff;
import dev.sluice.api.v1alpha1.JobQuota;
import dev.sluice.api.v1alpha1.JobQuotaSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** What the CRD schema cannot check about a JobQuota, as a pure function returning errors with field paths; and its compiled form. */
public final class JobQuotaValidator {
    private JobQuotaValidator() {
    }

    public static List<FieldError> validate(JobQuota quota) {
        JobQuotaSpec spec = quota.getSpec();
        if (spec == null) {
            return List.of(new FieldError("spec", "is required"));
        }
        List<FieldError> errors = new ArrayList<>(ConfigValidator.validateSelector(spec.jobSelector(), "spec.jobSelector"));
        if (spec.maxConcurrentJobs() < 1) {
            errors.add(new FieldError("spec.maxConcurrentJobs", "must be at least 1, got " + spec.maxConcurrentJobs()));
        }
        if (spec.maxQueued() != null && spec.maxQueued() < 0) {
            errors.add(new FieldError("spec.maxQueued", "must be at least 0, got " + spec.maxQueued()));
        }
        if (spec.priorityLabel() != null && spec.queueOrder() != JobQuotaSpec.QueueOrder.Priority) {
            errors.add(new FieldError("spec.priorityLabel", "applies only to queueOrder Priority"));
        }
        if (spec.maxQueued() != null && spec.onLimit() != JobQuotaSpec.OnLimit.Queue) {
            errors.add(new FieldError("spec.maxQueued", "applies only to onLimit Queue"));
        }
        FailureBackoff backoff = spec.failureBackoff();
        if (backoff != null) {
            if (backoff.keyLabel() == null || backoff.keyLabel().isBlank()) {
                errors.add(new FieldError("spec.failureBackoff.keyLabel", "is required: the label naming the same Job across attempts"));
            }
            try {
                Duration period = LimitPeriod.parseDuration(backoff.period());
                if (period.isZero() || period.isNegative()) {
                    errors.add(new FieldError("spec.failureBackoff.period", "must be longer than 0, got '" + backoff.period() + "'"));
                }
            } catch (IllegalArgumentException e) {
                errors.add(new FieldError("spec.failureBackoff.period", e.getMessage()));
            }
        }
        return List.copyOf(errors);
    }

    /** The rules of a quota that {@link #validate} found valid. */
    public static QuotaRules compile(JobQuota quota) {
        JobQuotaSpec spec = quota.getSpec();
        FailureBackoff backoff = spec.failureBackoff();
        return new QuotaRules(quota.getMetadata().getName(), spec.maxConcurrentJobs(), spec.jobSelector(), spec.onLimit(),
                spec.queueOrder(), spec.priorityLabel(), spec.maxQueued(),
                backoff == null ? null : backoff.keyLabel(),
                backoff == null ? null : LimitPeriod.parseDuration(backoff.period()),
                spec.mode());
    }
}
