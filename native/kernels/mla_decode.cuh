// Host launchers of absorbed MLA attention over the paged latent cache (mla_decode.cu): split-K partials and
// their combine.
#pragma once

#include "kv_append.cuh"

namespace k2 {

struct DecodeArgs {
    KvCacheView cache;
    int32_t layer;
    int32_t heads, nope_dim, rope_dim;
    float scale;
    const float* q_latent; int64_t q_latent_stride;   // [T, H*latent]
    const float* q; int64_t q_stride;                 // [T, H*(nope+rope)]; rope columns read
    const int32_t* token_sequence;
    const int32_t* key_counts;
    const int32_t* block_tables;
    int32_t sequences, block_table_stride, max_key_count;
    int32_t tokens;
    float* o_latent; int64_t o_latent_stride;         // [T, H*latent]
};

// Limits: latent_dim <= K2_MAX_LATENT_DIM, rope_dim <= K2_MAX_ROPE_DIM, tokens and heads/8 <= 65535.
// Tokens run in launches of decode_tokens_per_launch each, sized so their partials fit 256 MiB (at least one token);
// the workspace holds one launch's partials.
int32_t decode_tokens_per_launch(int32_t heads, int32_t latent_dim, int32_t tokens, int32_t max_key_count);
size_t decode_workspace_bytes(int32_t heads, int32_t latent_dim, int32_t tokens, int32_t max_key_count);

int32_t launch_mla_decode(const DecodeArgs& args, float* workspace, size_t workspace_bytes, cudaStream_t stream);

}  // namespace k2
