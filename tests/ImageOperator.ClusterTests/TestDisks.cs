using ImageOperator.Testing;

namespace ImageOperator.ClusterTests;

/// <summary>QCOW2 disks with known content, written by qemu-io (the oracle's own tool).</summary>
internal static class TestDisks
{
    /// <summary>
    /// A QCOW2 disk of <paramref name="virtualMiB"/> with patterned data in its first half and a hole after it, so
    /// that conversions have both data and sparse ranges to get right.
    /// </summary>
    public static async Task<string> CreateAsync(string folder, string name, int virtualMiB)
    {
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, name + ".qcow2");
        await QemuImg.RunAsync("create", "-f", "qcow2", path, $"{virtualMiB}M");
        var data = virtualMiB / 2;
        await QemuImg.IoAsync(path, "qcow2",
            $"write -P 0x5a 0 {data / 2}M",
            $"write -P 0xc3 {data / 2}M {data / 2}M",
            $"write -P 0x01 {virtualMiB - 1}M 64k");
        return path;
    }
}
