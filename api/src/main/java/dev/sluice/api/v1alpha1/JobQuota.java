package dev.sluice.api.v1alpha1;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * At most {@code maxConcurrentJobs} selected Jobs of the namespace run at once; the others are
 * created suspended and admitted in order ({@code Queue}), or refused ({@code Reject}).
 */
@Group(RateLimitPolicy.GROUP)
@Version(RateLimitPolicy.VERSION)
@ShortNames("jq")
@Categories("sluice")
@AdditionalPrinterColumn(name = "Max", jsonPath = ".spec.maxConcurrentJobs", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Active", jsonPath = ".status.active", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Queued", jsonPath = ".status.queued", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "OnLimit", jsonPath = ".spec.onLimit", type = AdditionalPrinterColumn.Type.STRING, priority = 1)
@AdditionalPrinterColumn(name = "Mode", jsonPath = ".spec.mode", type = AdditionalPrinterColumn.Type.STRING, priority = 1)
@AdditionalPrinterColumn(name = "Ready", jsonPath = ".status.conditions[?(@.type==\"Ready\")].status", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Reason", jsonPath = ".status.conditions[?(@.type==\"Ready\")].reason", type = AdditionalPrinterColumn.Type.STRING, priority = 1)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class JobQuota extends CustomResource<JobQuotaSpec, JobQuotaStatus> implements Namespaced {
}
