package dev.sluice.operator.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.operator.jobs.CreateDecision.Outcome;
import dev.sluice.operator.jobs.NamespaceAdmission.CreateAdmission;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JobPatchTest {
    private static final Instant AT = Instant.parse("2026-01-01T10:00:00.000001Z");
    private static final Job JOB = new JobBuilder().withNewMetadata().withName("etl").addToLabels("team", "data")
            .addToAnnotations("owner", "ana").endMetadata().build();

    @Test
    void anAdmittedJobGetsItsTicketAndKeepsItsAnnotations() {
        CreateAdmission admitted = new CreateAdmission(new CreateDecision(Outcome.ADMIT, null, null, List.of("q"), List.of()), "t-1", null, null);

        assertThat(JobPatch.of(JOB, admitted)).containsExactly(
                Map.of("op", "add", "path", "/metadata/annotations", "value", Map.of("owner", "ana", JobMarks.TICKET, "t-1")));
    }

    @Test
    void aQueuedJobIsSuspendedLabelledAndAnnotated() {
        CreateAdmission queued = new CreateAdmission(new CreateDecision(Outcome.QUEUE, "limit reached", AT.plusSeconds(60), List.of("q"),
                List.of()), "t-2", AT, 100L);

        assertThat(JobPatch.of(new JobBuilder().withNewMetadata().withName("bare").endMetadata().build(), queued)).containsExactly(
                Map.of("op", "add", "path", "/spec/suspend", "value", true),
                Map.of("op", "add", "path", "/metadata/labels", "value", Map.of(JobMarks.QUEUED_LABEL, "true")),
                Map.of("op", "add", "path", "/metadata/annotations", "value", Map.of(
                        JobMarks.TICKET, "t-2",
                        JobMarks.QUEUED_AT, "2026-01-01T10:00:00.000001Z",
                        JobMarks.QUEUED_BY, "q",
                        JobMarks.QUEUED_REASON, "limit reached",
                        JobMarks.NOT_BEFORE, "2026-01-01T10:01:00.000001Z",
                        JobMarks.PRIORITY, "100")));
    }

    @Test
    void otherOutcomesChangeNothing() {
        CreateAdmission refused = new CreateAdmission(new CreateDecision(Outcome.REFUSE, "no", null, List.of("q"), List.of()), null, null, null);

        assertThat(JobPatch.of(JOB, refused)).isEmpty();
    }
}
