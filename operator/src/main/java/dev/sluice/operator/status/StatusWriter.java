package dev.sluice.operator.status;

import dev.sluice.api.v1alpha1.ResourceStatus;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.client.CustomResource;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The one place where the status of every Sluice resource is written: the desired status inherits
 * transition times from the current one, is patched only when it differs, and a change of the
 * {@code Ready} condition is announced with an Event (Warning when the spec is invalid).
 */
public final class StatusWriter {
    private final EventRecorder events;
    private final Clock clock;

    public StatusWriter(EventRecorder events, Clock clock) {
        this.events = events;
        this.clock = clock;
    }

    public <R extends CustomResource<?, ResourceStatus>> UpdateControl<R> write(R resource, ResourceStatus desired) {
        ResourceStatus current = resource.getStatus();
        List<Condition> currentConditions = current == null ? List.of() : current.conditions();
        ResourceStatus next = new ResourceStatus(desired.observedGeneration(),
                Conditions.inheritTransitionTimes(desired.conditions(), currentConditions, clock.instant()),
                desired.selectedPods(), desired.configMap(), desired.notYetEnforced(), desired.warnings());
        if (next.equals(current)) {
            return UpdateControl.noUpdate();
        }
        announceReadyChange(resource, Conditions.find(currentConditions, Conditions.READY), Conditions.find(next.conditions(), Conditions.READY));
        resource.setStatus(next);
        return UpdateControl.patchStatus(resource);
    }

    private void announceReadyChange(CustomResource<?, ResourceStatus> resource, Optional<Condition> before, Optional<Condition> after) {
        if (after.isEmpty()) {
            return;
        }
        Condition ready = after.get();
        boolean changed = before.isEmpty()
                || !Objects.equals(before.get().getStatus(), ready.getStatus())
                || !Objects.equals(before.get().getReason(), ready.getReason())
                || !Objects.equals(before.get().getMessage(), ready.getMessage());
        if (changed) {
            String type = Conditions.REASON_INVALID_SPEC.equals(ready.getReason()) ? EventRecorder.WARNING : EventRecorder.NORMAL;
            events.record(resource, type, ready.getReason(), ready.getMessage());
        }
    }
}
