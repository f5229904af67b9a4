// SharpFuzz's instrumentation writes every branch it takes into Trace.SharedMem. Fuzzer.Run points that at AFL's
// shared memory, but code that runs before it (the target's Prepare, type initializers) or without it (replay)
// would write through a null pointer and die with an AccessViolationException in an instrumented K2Native.dll.
// A private buffer of AFL's map size takes those writes; Fuzzer.Run replaces it with the real map.
using System.Runtime.InteropServices;

namespace K2Native.Fuzz;

internal static unsafe class TraceBuffer
{
    private const int MapSize = 1 << 16;

    public static void Install()
    {
        if (SharpFuzz.Common.Trace.SharedMem == null)
            SharpFuzz.Common.Trace.SharedMem = (byte*)NativeMemory.AllocZeroed(MapSize);
    }
}
