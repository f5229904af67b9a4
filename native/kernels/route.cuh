// Host launcher of top-k MoE routing (route.cu).
#pragma once

#include "common.cuh"

namespace k2 {

struct RouteArgs {
    int32_t experts, top_k, groups, topk_groups,
        normalize;  // experts <= K2_MAX_EXPERTS, top_k <= K2_MAX_TOP_K, groups <= K2_MAX_EXPERT_GROUPS
    float scaling_factor;
    const float* logits; int64_t logits_stride;               // [T, experts]
    const float* bias;                                         // [experts]
    int32_t tokens;
    int32_t* ids;                                              // [T, top_k]
    float* weights;                                            // [T, top_k]
};

int32_t launch_route(const RouteArgs& args, cudaStream_t stream);

}  // namespace k2
