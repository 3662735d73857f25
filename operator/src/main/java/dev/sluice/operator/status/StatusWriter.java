package dev.sluice.operator.status;

import dev.sluice.api.v1alpha1.SluiceStatus;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.client.CustomResource;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The one place where the status of every Sluice kind is written: the desired status inherits
 * transition times from the current one and is patched only when it differs. One rule for Events:
 * each change of the {@code Ready} condition (status, reason or message) is announced on the
 * resource, as a Warning while Ready is False and as Normal otherwise; except a change of message alone
 * under a reason that counts pods ({@link Conditions#COUNTING_REASONS}), which every rollout makes.
 */
public final class StatusWriter {
    private final EventRecorder events;
    private final Clock clock;

    public StatusWriter(EventRecorder events, Clock clock) {
        this.events = events;
        this.clock = clock;
    }

    @SuppressWarnings("unchecked")
    public <S extends SluiceStatus, R extends CustomResource<?, S>> UpdateControl<R> write(R resource, S desired) {
        S current = resource.getStatus();
        List<Condition> currentConditions = current == null ? List.of() : current.conditions();
        S next = (S) desired.withConditions(Conditions.inheritTransitionTimes(desired.conditions(), currentConditions, clock.instant()));
        if (next.equals(current)) {
            return UpdateControl.noUpdate();
        }
        announceReadyChange(resource, Conditions.find(currentConditions, Conditions.READY), Conditions.find(next.conditions(), Conditions.READY));
        resource.setStatus(next);
        return UpdateControl.patchStatus(resource);
    }

    private void announceReadyChange(CustomResource<?, ?> resource, Optional<Condition> before, Optional<Condition> after) {
        if (after.isEmpty()) {
            return;
        }
        Condition ready = after.get();
        boolean changed = before.isEmpty()
                || !Objects.equals(before.get().getStatus(), ready.getStatus())
                || !Objects.equals(before.get().getReason(), ready.getReason())
                || !Objects.equals(before.get().getMessage(), ready.getMessage()) && !Conditions.COUNTING_REASONS.contains(ready.getReason());
        if (changed) {
            String type = "False".equals(ready.getStatus()) ? EventRecorder.WARNING : EventRecorder.NORMAL;
            events.record(resource, type, ready.getReason(), ready.getMessage());
        }
    }
}
