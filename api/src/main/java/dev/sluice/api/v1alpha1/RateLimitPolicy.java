package dev.sluice.api.v1alpha1;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** Rate limits that the sidecars of the selected pods enforce on every request. */
@Group(RateLimitPolicy.GROUP)
@Version(RateLimitPolicy.VERSION)
@ShortNames("rlp")
@Categories("sluice")
@AdditionalPrinterColumn(name = "Mode", jsonPath = ".spec.mode", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Scope", jsonPath = ".spec.scope", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Selected", jsonPath = ".status.selectedPods", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Enforcing", jsonPath = ".status.enforcing", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Rejected", jsonPath = ".status.rejectRate", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Ready", jsonPath = ".status.conditions[?(@.type==\"Ready\")].status", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Reason", jsonPath = ".status.conditions[?(@.type==\"Ready\")].reason", type = AdditionalPrinterColumn.Type.STRING, priority = 1)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class RateLimitPolicy extends CustomResource<RateLimitPolicySpec, ResourceStatus> implements Namespaced {
    public static final String GROUP = "sluice.dev";
    public static final String VERSION = "v1alpha1";
}
