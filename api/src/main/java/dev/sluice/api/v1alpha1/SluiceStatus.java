package dev.sluice.api.v1alpha1;

import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;

/**
 * What the status of every Sluice kind has, so that one writer handles them all: the generation it
 * describes and Kubernetes-style conditions, {@code Ready} above all.
 */
public interface SluiceStatus {
    Long observedGeneration();

    List<Condition> conditions();

    /** This status with {@code conditions} in place of its own. */
    SluiceStatus withConditions(List<Condition> conditions);
}
