package dev.sluice.api.v1alpha1;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** A circuit breaker, timeout and retry policy guarding the selected pods' inbound traffic or one outbound route. */
@Group(RateLimitPolicy.GROUP)
@Version(RateLimitPolicy.VERSION)
@ShortNames("cb")
@Categories("sluice")
@AdditionalPrinterColumn(name = "Target", jsonPath = ".spec.target.type", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Route", jsonPath = ".spec.target.route.name", type = AdditionalPrinterColumn.Type.STRING, priority = 1)
@AdditionalPrinterColumn(name = "Selected", jsonPath = ".status.selectedPods", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Enforcing", jsonPath = ".status.enforcing", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Open", jsonPath = ".status.openCircuits", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Ready", jsonPath = ".status.conditions[?(@.type==\"Ready\")].status", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Reason", jsonPath = ".status.conditions[?(@.type==\"Ready\")].reason", type = AdditionalPrinterColumn.Type.STRING, priority = 1)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class CircuitBreaker extends CustomResource<CircuitBreakerSpec, ResourceStatus> implements Namespaced {
}
