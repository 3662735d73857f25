package dev.sluice.operator.render.validation;

import dev.sluice.api.config.ConfigValidator;
import dev.sluice.api.config.FieldError;
import dev.sluice.api.config.FieldErrors;
import dev.sluice.api.config.Syntax;
import dev.sluice.api.v1alpha1.FailureBackoff;
import dev.sluice.api.v1alpha1.JobQuota;
import dev.sluice.api.v1alpha1.JobQuotaSpec;
import java.util.List;

/**
 * What the CRD schema cannot check about a JobQuota, as a pure function returning errors with field
 * paths, on the checks the other kinds use: the selector parses, counts and durations are in range,
 * and fields that apply to one setting are not set for another. Paths start at {@code spec}.
 */
public final class JobQuotaValidation {
    private JobQuotaValidation() {
    }

    public static List<FieldError> validate(JobQuota quota) {
        FieldErrors errors = new FieldErrors();
        JobQuotaSpec spec = quota.getSpec();
        if (spec == null) {
            errors.add("spec", "is required");
            return errors.list();
        }
        errors.addAll(ConfigValidator.validateSelector(spec.jobSelector(), "spec.jobSelector"));
        errors.atLeastOne(spec.maxConcurrentJobs(), "spec.maxConcurrentJobs");
        if (spec.maxQueued() != null) {
            errors.atLeast(0, spec.maxQueued(), "spec.maxQueued");
        }
        if (spec.priorityLabel() != null && spec.queueOrder() != JobQuotaSpec.QueueOrder.Priority) {
            errors.add("spec.priorityLabel", "applies only to queueOrder Priority");
        }
        labelKey(errors, spec.priorityLabel(), "spec.priorityLabel");
        if (spec.maxQueued() != null && spec.onLimit() != JobQuotaSpec.OnLimit.Queue) {
            errors.add("spec.maxQueued", "applies only to onLimit Queue");
        }
        FailureBackoff backoff = spec.failureBackoff();
        if (backoff != null) {
            if (backoff.keyLabel() == null || backoff.keyLabel().isBlank()) {
                errors.add("spec.failureBackoff.keyLabel", "is required: the label naming the same Job across attempts");
            } else {
                labelKey(errors, backoff.keyLabel(), "spec.failureBackoff.keyLabel");
            }
            // A duration of zero does not parse: "'0s' must be longer than zero".
            errors.duration(backoff.period(), "spec.failureBackoff.period");
        }
        return errors.list();
    }

    /** The schema's pattern checks the same {@link Syntax#LABEL_KEY_PATTERN}, but not the prefix's length. */
    private static void labelKey(FieldErrors errors, String key, String field) {
        if (key != null && !Syntax.isLabelKey(key)) {
            errors.add(field, "'" + key + "' is not a valid label key");
        }
    }
}
