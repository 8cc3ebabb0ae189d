// The page walker: 32-bit paging, PAE paging, 4-level and 5-level paging (SDM Vol. 3A 4.3, 4.4, 4.5).

extension CPU {
  var pagingEnabled: Bool { cr0 & ControlBit.pg != 0 }

  /// PAE paging: CR0.PG and CR4.PAE without IA-32e mode (SDM Vol. 3A 4.1.1).
  var usesPAEPaging: Bool { pagingEnabled && cr4 & ControlBit.pae != 0 && !isLongModeActive }

  /// The four PDPTEs of the table CR3 value `cr3` points to, as PAE paging loads them into its
  /// PDPTE registers (SDM Vol. 3A 4.4.1). `checked`: a present entry with a reserved bit set
  /// (2:1, 8:5, 63:MAXPHYADDR, table 4-8) is #GP(0), and the registers keep their values.
  func readPDPTEs(_ cr3: UInt64, checked: Bool = true) throws(Fault) -> SIMD4<UInt64> {
    let reserved: UInt64 = 0x1E6 | ~(UInt64(1) << CPU.physicalAddressBits - 1)
    var entries = SIMD4<UInt64>()
    for i in 0..<4 {
      entries[i] = memory.read(((cr3 & 0xFFFF_FFE0) + UInt64(i * 8)) & a20Mask, size: 8)
      if checked && entries[i] & 1 != 0 && entries[i] & reserved != 0 { throw Fault.gp(0) }
    }
    return entries
  }

  /// Makes `entries`, when a MOV to CR or a task switch read them, the PDPTE registers for CR3.
  func loadPDPTERegisters(_ entries: SIMD4<UInt64>?) {
    guard let entries else { return }
    pdptes = entries
    pdptesCR3 = cr3
  }

  /// PDPTE register `i` (linear address bits 31:30). State set directly rather than by MOV to CR
  /// (tests, a loader) is loaded at the first walk that needs it.
  func pdpte(_ i: Int) -> UInt64 {
    if pdptesCR3 != cr3 {
      pdptes = (try? readPDPTEs(cr3, checked: false)) ?? SIMD4()
      pdptesCR3 = cr3
    }
    return pdptes[i]
  }

  /// Walks the paging structures for `linear`, sets accessed/dirty bits, checks permissions and returns
  /// the physical address of the 4 KiB page plus the permissions to cache. Throws #PF with CR2 set.
  /// With the A20 gate closed every physical address it forms, the paging structures' included,
  /// has bit 20 clear (A20M#, SDM Vol. 3A 8.7.13.4 and 22.29).
  /// A `probe` (the debugger looking) changes nothing: no accessed or dirty bit, no CR2.
  func walk(_ linear: UInt64, _ access: Access, user: Bool, probe: Bool = false) throws(Fault)
    -> (phys: UInt64, perms: UInt8)
  {
    if !pagingEnabled {
      return (linear & 0xFFFF_F000 & a20Mask, TLBPerm.all)
    }
    let nxe = efer & ControlBit.nxe != 0
    var writable = true, userOK = true, noExec = false
    var leafAddress: UInt64 = 0, leafEntry: UInt64 = 0, leafSize = 8
    var frame: UInt64 = 0

    func pageFault(present: Bool, reserved: Bool = false, key: Bool = false) -> Fault {
      var code: UInt32 = present ? 1 : 0
      if key { code |= 32 }
      if access == .write { code |= 2 }
      if user { code |= 4 }
      if reserved { code |= 8 }
      // I/D: an instruction fetch, reported with SMEP or with PAE and NXE (SDM Vol. 3A 4.7).
      if access == .execute && (cr4 & ControlBit.smep != 0 || (nxe && cr4 & ControlBit.pae != 0)) { code |= 16 }
      if !probe { cr2 = linear }
      return Fault(14, errorCode: code)
    }

    if cr4 & ControlBit.pae == 0 {
      // 32-bit paging: two levels of 4-byte entries, 4 MiB pages when CR4.PSE (SDM Vol. 3A 4.3).
      let la = linear & 0xFFFF_FFFF
      let pdeAddress = ((cr3 & 0xFFFF_F000) + ((la >> 22) << 2)) & a20Mask
      let pde = memory.read(pdeAddress, size: 4)
      if pde & 1 == 0 { throw pageFault(present: false) }
      writable = pde & 2 != 0
      userOK = pde & 4 != 0
      if pde & 0x80 != 0 && cr4 & ControlBit.pse != 0 {
        // Without PSE-36 (not reported) a 4 MiB page's bits 21:13 are reserved (SDM Vol. 3A table 4-4).
        if pde & 0x003F_E000 != 0 { throw pageFault(present: true, reserved: true) }
        leafAddress = pdeAddress
        leafEntry = pde
        leafSize = 4
        frame = (pde & 0xFFC0_0000) | (la & 0x003F_F000)
      } else {
        if pde & 0x20 == 0 && !probe { memory.write(pdeAddress, size: 4, value: pde | 0x20) }
        let pteAddress = ((pde & 0xFFFF_F000) + (((la >> 12) & 0x3FF) << 2)) & a20Mask
        let pte = memory.read(pteAddress, size: 4)
        if pte & 1 == 0 { throw pageFault(present: false) }
        writable = writable && pte & 2 != 0
        userOK = userOK && pte & 4 != 0
        leafAddress = pteAddress
        leafEntry = pte
        leafSize = 4
        frame = pte & 0xFFFF_F000
      }
    } else {
      // PAE (3 levels from a 4-entry PDPT) or 4-level paging (SDM Vol. 3A 4.4, 4.5).
      let addressMask: UInt64 = 0x000F_FFFF_FFFF_F000
      // Physical-address bits above MAXPHYADDR are reserved in every entry: 51:M with 4- and
      // 5-level paging (62:52 are ignored, or the protection key), 62:M with PAE paging (tables
      // 4-9 to 4-11, 4-15 to 4-20). M is what CPUID 80000008h reports.
      let aboveMaximum = ~(UInt64(1) << CPU.physicalAddressBits - 1)
      let reservedHigh = aboveMaximum & (isLongModeActive ? 0x000F_FFFF_FFFF_FFFF : 0x7FFF_FFFF_FFFF_FFFF)
      var table: UInt64
      var shift: UInt64
      if isLongModeActive {
        // 4-level paging from the PML4, or 5-level from the PML5 with CR4.LA57 (SDM Vol. 3A 4.5).
        table = cr3 & addressMask
        shift = cr4 & ControlBit.la57 != 0 ? 48 : 39
      } else {
        // From the PDPTE registers, not memory: what MOV to CR3 loaded (SDM Vol. 3A 4.4.2).
        let pdpte = pdpte(Int((linear >> 30) & 3))
        if pdpte & 1 == 0 { throw pageFault(present: false) }
        table = pdpte & addressMask
        shift = 21
      }
      while true {
        let entryAddress = (table + (((linear >> shift) & 0x1FF) << 3)) & a20Mask
        let entry = memory.read(entryAddress, size: 8)
        if entry & 1 == 0 { throw pageFault(present: false) }
        if entry & (1 << 63) != 0 && !nxe { throw pageFault(present: true, reserved: true) }
        if shift >= 39 && entry & 0x80 != 0 { throw pageFault(present: true, reserved: true) }
        if entry & reservedHigh != 0 { throw pageFault(present: true, reserved: true) }
        writable = writable && entry & 2 != 0
        userOK = userOK && entry & 4 != 0
        if nxe && entry & (1 << 63) != 0 { noExec = true }
        if shift == 12 || ((shift == 21 || shift == 30) && entry & 0x80 != 0) {
          let pageMask: UInt64 = (1 << shift) - 1
          // A large page's address bits below its size, above PAT (bit 12), are reserved: 20:13 for
          // 2 MiB, 29:13 for 1 GiB.
          if entry & pageMask & ~0x1FFF != 0 { throw pageFault(present: true, reserved: true) }
          leafAddress = entryAddress
          leafEntry = entry
          frame = (entry & addressMask & ~pageMask) | (linear & pageMask & ~0xFFF)
          break
        }
        if entry & 0x20 == 0 && !probe { memory.write(entryAddress, size: 8, value: entry | 0x20) }
        table = entry & addressMask
        shift -= 9
      }
    }

    // Access rights, SDM Vol. 3A 4.6: supervisor writes to read-only pages fault only with CR0.WP.
    let wp = cr0 & ControlBit.wp != 0
    var denied = user && !userOK
    if access == .write && !writable && (user || wp) { denied = true }
    if access == .execute && noExec { denied = true }
    // SMEP: no supervisor fetch from a user page. SMAP: no supervisor data access to one unless
    // RFLAGS.AC is set at CPL < 3 (a supervisor access at CPL 3 is an implicit one, always checked).
    // The debugger's probes look past both.
    let smep = cr4 & ControlBit.smep != 0, smap = cr4 & ControlBit.smap != 0
    if !user && userOK && !probe {
      if access == .execute && smep { denied = true }
      if access != .execute && smap && (cpl == 3 || flagBits & Flag.ac == 0) { denied = true }
    }

    // Protection keys (SDM Vol. 3A 4.6.2): with CR4.PKE and 4-level paging, a data access to a user
    // page is checked against PKRU for the key in the leaf's bits 62:59: AD forbids any access, WD
    // user writes and, with CR0.WP, supervisor writes. WRPKRU flushes the TLB, so the rights cached
    // below may assume the current PKRU (and a write to IA32_PKRS does the same).
    // Supervisor pages are checked the same way against IA32_PKRS with CR4.PKS.
    // One fault reports every violation: its PK bit is set when the key denies the access, whatever
    // else does too (SDM Vol. 3A 4.7).
    var keyDeniesRead = false, keyDeniesWrite = false, keyDenies = false
    let keyControl = userOK ? ControlBit.pke : ControlBit.pks
    if cr4 & keyControl != 0 && isLongModeActive {
      let key = (leafEntry >> 59) & 0xF
      let rights = userOK ? pkru : pkrs
      keyDeniesRead = (rights >> (2 * key)) & 1 != 0
      keyDeniesWrite = keyDeniesRead || (rights >> (2 * key + 1)) & 1 != 0
      if access != .execute && !probe {
        keyDenies = keyDeniesRead || (access == .write && keyDeniesWrite && (user || wp))
      }
    }
    if denied || keyDenies { throw pageFault(present: true, key: keyDenies) }

    // The entries above the leaf got their accessed bit as the walk used them; the leaf gets its own,
    // and the dirty bit for a write, only now that the access is allowed (SDM Vol. 3A 4.8: a
    // faulting access sets neither; kvm-unit-tests' access test checks it).
    let dirty = leafEntry & 0x40 != 0 || (access == .write && !probe)
    let updated = leafEntry | 0x20 | (dirty ? 0x40 : 0)
    if updated != leafEntry && !probe { memory.write(leafAddress, size: leafSize, value: updated) }
    // With SMAP, supervisor data rights to a user page are never cached: they depend on RFLAGS.AC,
    // so every such access walks and is checked with the AC of its moment.
    var perms: UInt8 = (userOK && smap) || keyDeniesRead ? 0 : TLBPerm.readSupervisor
    if (writable || !wp) && !(userOK && smap) && !(keyDeniesWrite && wp) { perms |= TLBPerm.writeSupervisor }
    if userOK && !keyDeniesRead { perms |= TLBPerm.readUser }
    if userOK && writable && !keyDeniesWrite { perms |= TLBPerm.writeUser }
    if !noExec {
      if !(userOK && smep) { perms |= TLBPerm.execSupervisor }
      if userOK { perms |= TLBPerm.execUser }
    }
    if dirty { perms |= TLBPerm.dirty }
    return (frame & a20Mask, perms)
  }

  /// Flushes every cached translation (MOV CR3, paging-mode changes, INVLPG: SDM Vol. 3A 4.10.4.1).
  public func flushTLB() {
    supervisorTLB.flush()
    userTLB.flush()
    fetchLinearPage = ~0
  }
}
