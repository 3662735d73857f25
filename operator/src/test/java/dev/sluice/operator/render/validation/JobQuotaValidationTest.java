package dev.sluice.operator.render.validation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.api.config.FieldError;
import dev.sluice.api.config.LabelSelector;
import dev.sluice.api.v1alpha1.FailureBackoff;
import dev.sluice.api.v1alpha1.JobQuota;
import dev.sluice.api.v1alpha1.JobQuotaSpec;
import dev.sluice.api.v1alpha1.JobQuotaSpec.OnLimit;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JobQuotaValidationTest {

    @Test
    void theDefaultsAreValid() {
        assertThat(JobQuotaValidation.validate(quota(JobQuotaSpec.of(JobQuotaSpec.DEFAULT_MAX_CONCURRENT_JOBS)))).isEmpty();
    }

    @Test
    void reportsEachFieldWithWhatIsAllowed() {
        JobQuotaSpec spec = new JobQuotaSpec(0, new LabelSelector(Map.of("bad key!", "x"), List.of()), OnLimit.Reject, null, "team/priority",
                -1, new FailureBackoff(" ", "0s"), null);

        assertThat(JobQuotaValidation.validate(quota(spec))).extracting(FieldError::toString).containsExactly(
                "spec.jobSelector.matchLabels: 'bad key!' is not a valid label key",
                "spec.maxConcurrentJobs: must be at least 1, got 0",
                "spec.maxQueued: must be at least 0, got -1",
                "spec.priorityLabel: applies only to queueOrder Priority",
                "spec.maxQueued: applies only to onLimit Queue",
                "spec.failureBackoff.keyLabel: is required: the label naming the same Job across attempts",
                "spec.failureBackoff.period: '0s' must be longer than zero");
    }

    @Test
    void labelKeysAreCheckedBeyondTheSchemasPattern() {
        String longPrefix = "a".repeat(63) + "." + "b".repeat(63) + "." + "c".repeat(63) + "." + "d".repeat(61) + "/run";
        JobQuotaSpec spec = new JobQuotaSpec(1, new LabelSelector(Map.of("example..com/app", "web"), List.of()), null,
                JobQuotaSpec.QueueOrder.Priority, "x" + longPrefix, null, new FailureBackoff(longPrefix, "5m"), null);

        assertThat(JobQuotaValidation.validate(quota(spec))).extracting(FieldError::toString).containsExactly(
                "spec.jobSelector.matchLabels: 'example..com/app' is not a valid label key",
                "spec.priorityLabel: 'x" + longPrefix + "' is not a valid label key");
    }

    @Test
    void aPeriodThatIsNoDurationIsReportedAsTheOtherKindsReportIt() {
        JobQuotaSpec spec = new JobQuotaSpec(1, null, null, null, null, null, new FailureBackoff("app/run", "soon"), null);

        assertThat(JobQuotaValidation.validate(quota(spec))).extracting(FieldError::field).containsExactly("spec.failureBackoff.period");
        assertThat(JobQuotaValidation.validate(quota(null))).containsExactly(new FieldError("spec", "is required"));
    }

    private static JobQuota quota(JobQuotaSpec spec) {
        JobQuota quota = new JobQuota();
        quota.setMetadata(new ObjectMetaBuilder().withNamespace("batch").withName("quota").build());
        quota.setSpec(spec);
        return quota;
    }
}
