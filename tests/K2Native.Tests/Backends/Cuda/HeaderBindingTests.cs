// The generated bindings (src/K2Native/Native/Generated) against the header they were generated from: every
// function has a binding with the same name, return type and parameters (and no binding lacks a function);
// every struct field and enum constant is mirrored; the hand-written K2Status equals k2_status value for value.
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using K2Native.Backends.Cuda.Native;
using K2Native.Backends.Cuda.Native.Generated;

namespace K2Native.Tests.Backends.Cuda;

public sealed class HeaderBindingTests
{
    private static readonly HeaderModel Header = HeaderModel.Load();

    [Fact]
    public void The_header_declares_the_operations_the_ABI_promises()
    {
        Assert.True(
            Header.Functions.Length >= 35, $"only {Header.Functions.Length} functions read from {HeaderModel.Path}");
        Assert.Contains(Header.Functions, f => f.Name == "k2_moe_experts");
        Assert.All(
            Header.Functions.Where(f => f.Name is not ("k2_abi_version" or "k2_last_error")),
            f => Assert.Equal("int32_t", f.ReturnType));
    }

    [Fact]
    public void Every_function_has_a_binding_with_the_same_signature()
    {
        var bindings = typeof(K2Api).GetMethods(BindingFlags.Public | BindingFlags.Static)
            .Where(m => m.GetCustomAttribute<DllImportAttribute>() is not null).ToDictionary(m => m.Name);
        foreach (var f in Header.Functions)
        {
            Assert.True(bindings.TryGetValue(f.Name, out var method), $"{f.Name} has no binding");
            var import = method!.GetCustomAttribute<DllImportAttribute>()!;
            Assert.Equal("k2native", import.Value);
            Assert.Equal(CallingConvention.Cdecl, import.CallingConvention);
            Assert.True(
                Map(f.ReturnType) == method.ReturnType,
                $"{f.Name} returns {f.ReturnType}; the binding returns {method.ReturnType}");
            var parameters = method.GetParameters();
            Assert.True(
                parameters.Length == f.Parameters.Length,
                $"{f.Name}: {f.Parameters.Length} parameters in C, {parameters.Length} bound");
            for (int i = 0; i < parameters.Length; i++)
            {
                Assert.True(
                    f.Parameters[i].Name == parameters[i].Name,
                    $"{f.Name} parameter {i}: '{f.Parameters[i].Name}' in C, '{parameters[i].Name}' bound");
                Assert.True(Map(f.Parameters[i].Type) == parameters[i].ParameterType,
                    $"{f.Name}({f.Parameters[i].Name}): {f.Parameters[i].Type} in C is {Map(f.Parameters[i].Type)}, "
                    + $"bound as {parameters[i].ParameterType}");
            }
        }
        var extra = bindings.Keys.Except(Header.Functions.Select(f => f.Name)).ToArray();
        Assert.True(extra.Length == 0, $"bindings without a C function: {string.Join(", ", extra)}");
    }

    [Fact]
    public void Every_struct_field_is_bound_with_its_type_in_order()
    {
        Assert.Equal(9, Header.Structs.Length);
        foreach (var s in Header.Structs)
        {
            var type = typeof(K2Api).Assembly.GetType($"K2Native.Backends.Cuda.Native.Generated.{s.Name}")
                ?? throw new Xunit.Sdk.XunitException($"{s.Name} is not bound");
            var fields = type.GetFields(BindingFlags.Public | BindingFlags.Instance);
            Assert.True(
                fields.Length == s.Fields.Length, $"{s.Name}: {s.Fields.Length} fields in C, {fields.Length} bound");
            for (int i = 0; i < fields.Length; i++)
            {
                var (c, bound) = (s.Fields[i], fields[i]);
                Assert.Equal(c.Name, bound.Name);
                if (c.ArrayLength > 0)
                {
                    var buffer = bound.GetCustomAttribute<FixedBufferAttribute>()
                        ?? throw new Xunit.Sdk.XunitException($"{s.Name}.{c.Name} is not a fixed buffer");
                    Assert.Equal(Map(c.Type), buffer.ElementType);
                    Assert.Equal(c.ArrayLength, buffer.Length);
                }
                else
                {
                    Assert.True(
                        Map(c.Type) == bound.FieldType,
                        $"{s.Name}.{c.Name}: {c.Type} in C, bound as {bound.FieldType}");
                }
            }
        }
    }

    [Fact]
    public void Status_codes_and_constants_match_the_header()
    {
        var status = Header.Enums["k2_status"];
        Assert.Equal(status.Count, Enum.GetValues<K2Status>().Length);
        foreach (var (name, value) in status)
        {
            string pascal = string.Concat(name
                .Replace("K2_ERR_", "", StringComparison.Ordinal)
                .Replace("K2_", "", StringComparison.Ordinal)
                .Split('_').Select(w => w[..1] + w[1..].ToLowerInvariant()));
            Assert.True(
                Enum.TryParse<K2Status>(pascal, out var mirrored), $"K2Status has no member for {name} ({pascal})");
            Assert.Equal(value, (int)mirrored);
            Assert.Equal(value, (int)Enum.Parse<k2_status>(name));
        }
        foreach (var (name, value) in Header.Defines)
        {
            var field = typeof(K2Api).GetField(name)
                ?? throw new Xunit.Sdk.XunitException($"#define {name} is not bound");
            Assert.Equal(value, (int)field.GetRawConstantValue()!);
        }
    }

    /// <summary>The C# type ClangSharp binds a C type to (pointers included).</summary>
    private static Type Map(string c)
    {
        if (c.EndsWith('*')) return Map(c[..^1]).MakePointerType();
        return c switch
        {
            "void" => typeof(void),
            "char" => typeof(sbyte),
            "int32_t" => typeof(int),
            "uint32_t" => typeof(uint),
            "int64_t" => typeof(long),
            "uint64_t" => typeof(ulong),
            "size_t" => typeof(nuint),
            "float" => typeof(float),
            "double" => typeof(double),
            _ when c.StartsWith("k2_", StringComparison.Ordinal) =>
                typeof(K2Api).Assembly.GetType($"K2Native.Backends.Cuda.Native.Generated.{c}")
                ?? throw new Xunit.Sdk.XunitException($"type {c} is not bound"),
            _ => throw new Xunit.Sdk.XunitException($"k2native.h uses {c}, which is not a fixed-width ABI type"),
        };
    }
}
