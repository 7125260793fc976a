using ImageOperator.Api.V1Alpha1;

namespace ImageOperator.Controllers;

/// <summary>Names of the objects the operator keeps in its library bucket.</summary>
public static class ImageLibrary
{
    /// <summary>Prefix of every stored image disk.</summary>
    public const string Prefix = "images/";

    /// <summary>
    /// Object key of the disk an import stores: <c>images/&lt;namespace&gt;/&lt;image&gt;/&lt;import uid&gt;.qcow2</c>.
    /// Deterministic per import, so a restarted import overwrites its own earlier attempt and nothing else.
    /// </summary>
    public static string DiskKey(ImageImport import)
    {
        ArgumentNullException.ThrowIfNull(import);
        return $"{Prefix}{import.Metadata.NamespaceProperty}/{import.Spec.ImageName}/{import.Metadata.Uid}.qcow2";
    }

    /// <summary>
    /// Whether <paramref name="disk"/> lies where the operator stores the disks of images of namespace
    /// <paramref name="ns"/>: in the library bucket of the library store, under <c>images/&lt;ns&gt;/</c>. A status that
    /// names any other object (written by someone else than the operator) is never read, shipped or deleted.
    /// </summary>
    public static bool Owns(StoredDisk disk, string ns, string libraryStore, string libraryBucket)
    {
        ArgumentNullException.ThrowIfNull(disk);
        return disk.Bucket == libraryBucket
            && disk.Store == libraryStore
            && disk.Object.StartsWith($"{Prefix}{ns}/", StringComparison.Ordinal)
            && Storage.ObjectLocation.ObjectNameProblem(disk.Object) is null;
    }
}
