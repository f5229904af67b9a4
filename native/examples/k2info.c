/* k2info: prints the ABI version and every CUDA device libk2native sees, or why it sees none.
 * A plain C user of the ABI (no .NET). Built by native/CMakeLists.txt:  ./native/build/k2info
 * Exit status: 0 when at least one device is usable, 2 when there is no GPU or driver, 1 on any other error. */
#include <stdio.h>

#include "k2native.h"

static void print_error(const char* what, int32_t status)
{
    char message[512];
    k2_last_error(message, sizeof message);
    fprintf(stderr, "k2info: %s failed with status %d: %s\n", what, (int)status, message);
}

int main(void)
{
    printf("libk2native ABI version %u (this program was built against %d)\n", k2_abi_version(), K2_ABI_VERSION);
    if (k2_abi_version() != K2_ABI_VERSION) {
        fprintf(stderr, "k2info: ABI mismatch: rebuild k2info against the library's header\n");
        return 1;
    }

    int32_t count = 0;
    int32_t status = k2_device_count(&count);
    if (status == K2_ERR_DRIVER || status == K2_ERR_NO_DEVICE) {
        char message[512];
        k2_last_error(message, sizeof message);
        printf("no usable CUDA GPU: %s\n", message);
        printf("(the library loaded fine; run this on a machine with an NVIDIA GPU and driver to use the kernels)\n");
        return 2;
    }
    if (status != K2_OK) {
        print_error("k2_device_count", status);
        return 1;
    }

    for (int32_t d = 0; d < count; d++) {
        k2_device_info info = {0};
        info.struct_size = sizeof info;
        status = k2_device_get_info(d, &info);
        if (status != K2_OK) {
            print_error("k2_device_get_info", status);
            return 1;
        }
        printf("device %d: %s, compute capability %d.%d, %d multiprocessors, %.1f GiB, L2 %.1f MiB, "
               "driver %d, runtime %d\n",
               (int)info.device, info.name, (int)info.compute_major, (int)info.compute_minor, (int)info.multiprocessors,
               (double)info.total_memory_bytes / (1u << 30), (double)info.l2_cache_bytes / (1u << 20),
               (int)info.driver_version, (int)info.runtime_version);
    }

    k2_context_params params;
    k2_context_default_params(&params);
    k2_context* context = NULL;
    status = k2_context_create(&params, &context);
    if (status != K2_OK) {
        print_error("k2_context_create", status);
        return 1;
    }
    printf("context on device %d: ok\n", (int)params.device);
    status = k2_context_destroy(context);
    if (status != K2_OK) {
        print_error("k2_context_destroy", status);
        return 1;
    }
    return 0;
}
