using System.Text;

namespace ImageOperator.CrdGen;

/// <summary>Writes generated CRDs into a folder, keeping it free of manifests of removed types.</summary>
public static class CrdFolder
{
    /// <summary>
    /// Writes each CRD (UTF-8, no byte order mark) and deletes other <c>&lt;group&gt;_*.yaml</c> files in the folder.
    /// Files that would not change are left untouched, so their timestamps only move when their content does.
    /// </summary>
    public static void Write(string folder, IReadOnlyList<GeneratedCrd> crds, string group)
    {
        Directory.CreateDirectory(folder);
        var encoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
        foreach (var crd in crds)
        {
            var path = Path.Combine(folder, crd.FileName);
            var bytes = encoding.GetBytes(crd.Yaml);
            if (!File.Exists(path) || !File.ReadAllBytes(path).AsSpan().SequenceEqual(bytes))
            {
                File.WriteAllBytes(path, bytes);
            }
        }

        var generated = crds.Select(c => c.FileName).ToHashSet(StringComparer.Ordinal);
        foreach (var stale in Directory.EnumerateFiles(folder, $"{group}_*.yaml"))
        {
            if (!generated.Contains(Path.GetFileName(stale)))
            {
                File.Delete(stale);
            }
        }
    }
}
