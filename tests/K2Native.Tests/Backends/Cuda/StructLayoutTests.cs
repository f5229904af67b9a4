// Struct sizes and field offsets of the generated bindings against what a C compiler reports for k2native.h:
// the test writes a small C program that prints sizeof/offsetof of every struct and field the header declares,
// compiles it with the machine's C compiler (cc/gcc/clang; skipped with a message when there is none) and
// compares with Marshal.SizeOf/OffsetOf of the bound structs.
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using K2Native.Backends.Cuda.Native.Generated;
using K2Native.Tests.Support;

namespace K2Native.Tests.Backends.Cuda;

public sealed class StructLayoutTests
{
    private static readonly string? Compiler = new[] { "cc", "gcc", "clang" }.FirstOrDefault(OnPath);

    [CFact]
    public void Struct_sizes_and_offsets_equal_the_C_compilers()
    {
        var header = HeaderModel.Load();
        using var dir = new TempDirectory();
        var source = new StringBuilder(
            "#include <stddef.h>\n#include <stdio.h>\n#include \"k2native.h\"\nint main(void) {\n");
        foreach (var s in header.Structs)
        {
            source.Append($"    printf(\"{s.Name} sizeof %zu\\n\", sizeof({s.Name}));\n");
            foreach (var f in s.Fields)
                source.Append($"    printf(\"{s.Name} {f.Name} %zu\\n\", offsetof({s.Name}, {f.Name}));\n");
        }
        source.Append("    return 0;\n}\n");
        string c = Path.Combine(dir.Path, "layout.c"), exe = Path.Combine(dir.Path, "layout");
        File.WriteAllText(c, source.ToString());
        string include = Path.GetDirectoryName(HeaderModel.Path)!;
        var (compileCode, compileOutput) = Exec(
            Compiler!, $"-std=c11 -Wall -Werror -I \"{include}\" -o \"{exe}\" \"{c}\"");
        Assert.True(compileCode == 0, $"{Compiler} failed on k2native.h:\n{compileOutput}");
        var (runCode, output) = Exec(exe, "");
        Assert.Equal(0, runCode);

        int checkedFields = 0;
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ');
            var type = typeof(K2Api).Assembly.GetType($"K2Native.Backends.Cuda.Native.Generated.{parts[0]}")!;
            long expected = long.Parse(parts[2]);
            long actual = parts[1] == "sizeof" ? Marshal.SizeOf(type) : (long)Marshal.OffsetOf(type, parts[1]);
            Assert.True(expected == actual, $"{parts[0]} {parts[1]}: C says {expected}, the binding {actual}");
            checkedFields++;
        }
        Assert.Equal(header.Structs.Sum(s => s.Fields.Length + 1), checkedFields);
    }

    private static (int Code, string Output) Exec(string file, string arguments)
    {
        var start = new ProcessStartInfo(file, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true
        };
        using var process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output);
    }

    private static bool OnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Any(
            d => File.Exists(Path.Combine(d, name)));

    /// <summary>A fact that needs a C compiler; skipped with a message when none is on PATH.</summary>
    private sealed class CFactAttribute : FactAttribute
    {
        public CFactAttribute()
        {
            if (Compiler is null) Skip = "no C compiler (cc, gcc or clang) on PATH: struct layouts not compared with C";
        }
    }
}
